import type { ClusterStatus, TaskList } from '../head/index.ts';
import { formatResources } from '../scheduler/resources.ts';

/** A plain-text table: columns padded to their widest cell. */
export function table(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(headers), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

function usage(total: Record<string, number>, available: Record<string, number>): string {
  return Object.keys(total)
    .filter((k) => k !== 'memory' && total[k] > 0)
    .map((k) => `${k} ${round(total[k] - (available[k] ?? 0))}/${round(total[k])}`)
    .join(', ');
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

export function formatStatus(status: ClusterStatus): string {
  const live = { ...status, actors: status.actors.filter((a) => a.state !== 'DEAD') };
  const demands = status.pendingDemands.map((d) => `{${formatResources(d)}}`).join(' ');
  return [
    `Nodes (${status.nodes.filter((n) => n.alive).length} alive)`,
    listRows(status, 'nodes').table,
    '',
    `Live actors (${live.actors.length})`,
    listRows(live, 'actors').table,
    '',
    `Tasks: ${status.runningTasks} running, ${status.pendingTasks} pending` +
      (demands ? `; pending demands: ${demands}` : ''),
  ].join('\n');
}

/** Rows of one kind of cluster object, as a table and as JSON. */
export function listRows(status: ClusterStatus, what: 'nodes' | 'actors' | 'placement-groups') {
  if (what === 'nodes') {
    return {
      json: status.nodes,
      table: table(
        ['NODE', 'HOST', 'STATE', 'RESOURCES (used/total)', 'WORKERS'],
        status.nodes.map((n) => [
          n.nodeId,
          n.hostname,
          n.alive ? 'ALIVE' : 'DEAD',
          usage(n.total, n.available),
          String(n.workers),
        ]),
      ),
    };
  }
  if (what === 'actors') {
    return {
      json: status.actors,
      table: table(
        ['ACTOR', 'CLASS', 'NAME', 'STATE', 'NODE', 'RESTARTS'],
        status.actors.map((a) => [
          a.actorId,
          a.className,
          a.name ?? '',
          a.state,
          a.nodeId ?? '',
          String(a.restarts),
        ]),
      ),
    };
  }
  return {
    json: status.placementGroups,
    table: table(
      ['GROUP', 'NAME', 'STATE', 'STRATEGY', 'BUNDLES', 'NODES'],
      status.placementGroups.map((g) => [
        g.groupId,
        g.name ?? '',
        g.state,
        g.strategy,
        g.bundles.map((b) => `{${formatResources(b)}}`).join(' '),
        g.nodeIds.join(' '),
      ]),
    ),
  };
}

/** Running and pending tasks (`manta list tasks`). */
export function taskRows(list: TaskList) {
  const shown = list.tasks.length;
  const total = list.running + list.pending;
  return {
    json: list.tasks,
    table:
      table(
        ['TASK', 'FUNCTION', 'STATE', 'NODE', 'WORKER', 'ATTEMPT'],
        list.tasks.map((t) => [
          t.taskId,
          // An arrow function has no name of its own: say where it is defined instead.
          t.name === 'anonymous' ? `${t.module.slice(t.module.lastIndexOf('/') + 1)}${t.key}` : t.name,
          t.state,
          t.nodeId ?? '',
          t.workerId ?? '',
          String(t.attempt),
        ]),
      ) + (shown < total ? `\n(${shown} of ${total} tasks shown)` : ''),
  };
}
