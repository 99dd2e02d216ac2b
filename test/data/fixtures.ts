/**
 * Remote code for the data integration tests: worker processes import this module by URL and
 * find these definitions by name, so they live at the top level of a module of their own.
 */
import { actor, remote } from '@manta/core';
import type { Row } from '@manta/data';

export const addSquare = remote(import.meta.url, (row: Row): Row => {
  const id = row.id as number;
  return { id, sq: id * id, worker: process.pid };
});

export const keepNotSeventh = remote(import.meta.url, (row: Row): boolean => (row.id as number) % 7 !== 0);

/** Built once per pool actor: every batch it scores carries its constructor's id and pid. */
export class Scaler {
  private readonly pid = process.pid;
  constructor(private readonly factor: number) {}

  call(batch: { id: Int32Array; sq: Float64Array | Int32Array }) {
    const n = batch.id.length;
    const scaled = new Float64Array(n);
    for (let i = 0; i < n; i++) scaled[i] = batch.id[i] * this.factor + batch.sq[i];
    return { id: batch.id, scaled, pid: new Int32Array(n).fill(this.pid) };
  }
}
export const ScalerActor = actor(import.meta.url, Scaler);

/** A stateless batch function, run as core tasks. */
export const negate = remote(import.meta.url, (batch: { id: Int32Array; scaled: Float64Array }) => ({
  id: batch.id,
  neg: batch.scaled.map((v) => -v),
}));

/** Fails on one row, to check that remote errors name the operator. */
export const explodeOnSeven = remote(import.meta.url, function failOnRowSeven(row: Row): Row {
  if (row.id === 7) throw new Error('row 7 is bad');
  return row;
});
