/**
 * Saving a tfjs LayersModel, its optimizer's state and any JSON into a checkpoint folder, and
 * loading them back so that training continues exactly where it stopped. Files:
 * `model.json` (tfjs layers format) + `weights.bin`, `optimizer.json` + `optimizer.bin`
 * (from optimizer.getWeights()), `state.json`.
 */
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { CheckpointError } from './errors.ts';

export const MODEL_FILES = {
  model: 'model.json',
  weights: 'weights.bin',
  optimizer: 'optimizer.json',
  optimizerWeights: 'optimizer.bin',
  state: 'state.json',
} as const;

export interface SaveModelOptions {
  /** Its state (moments, iteration count) is saved beside the model. */
  optimizer?: tf.Optimizer;
  /** Any JSON (epoch, data position, RNG seed ...), saved as state.json. */
  state?: unknown;
}

export interface LoadModelOptions {
  /**
   * Receives the saved optimizer state. Without it, an optimizer of the saved class and config
   * (e.g. Adam with its learning rate) is built.
   */
  optimizer?: tf.Optimizer;
}

export interface LoadedModel<S = unknown> {
  model: tf.LayersModel;
  /** Present when the folder holds optimizer state. */
  optimizer: tf.Optimizer | undefined;
  /** The JSON given as `state` when saving, if any. */
  state: S | undefined;
}

interface OptimizerFile {
  format: 'manta-optimizer';
  className: string;
  config: tf.serialization.ConfigDict;
  weightSpecs: tf.io.WeightsManifestEntry[];
  weightsFile: string;
}

/** Writes `model` (and optionally optimizer state and JSON) into the local folder `dir`. */
export async function saveModelToDirectory(
  model: tf.LayersModel,
  dir: string,
  options: SaveModelOptions = {},
): Promise<void> {
  await mkdir(dir, { recursive: true });
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightData =
        artifacts.weightData === undefined
          ? new ArrayBuffer(0)
          : tf.io.CompositeArrayBuffer.join(artifacts.weightData);
      const modelJson: tf.io.ModelJSON = {
        modelTopology: artifacts.modelTopology!,
        format: artifacts.format,
        generatedBy: artifacts.generatedBy,
        convertedBy: artifacts.convertedBy,
        weightsManifest: [{ paths: [MODEL_FILES.weights], weights: artifacts.weightSpecs ?? [] }],
      };
      await writeFile(join(dir, MODEL_FILES.weights), new Uint8Array(weightData));
      await writeFile(join(dir, MODEL_FILES.model), JSON.stringify(modelJson));
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    }),
  );
  if (options.optimizer) await saveOptimizer(options.optimizer, dir);
  if (options.state !== undefined)
    await writeFile(join(dir, MODEL_FILES.state), JSON.stringify(options.state));
}

/** Loads what `saveModelToDirectory` wrote into the local folder `dir`. */
export async function loadModelFromDirectory<S = unknown>(
  dir: string,
  options: LoadModelOptions = {},
): Promise<LoadedModel<S>> {
  const modelJson = JSON.parse(await readRequired(dir, MODEL_FILES.model, 'utf8')) as tf.io.ModelJSON;
  const weightSpecs = modelJson.weightsManifest.flatMap((group) => group.weights);
  const weightData = await readRequired(dir, MODEL_FILES.weights);
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: modelJson.modelTopology,
      weightSpecs,
      weightData: toArrayBuffer(weightData),
    }),
  );
  const optimizer = (await exists(join(dir, MODEL_FILES.optimizer)))
    ? await loadOptimizer(dir, options.optimizer)
    : options.optimizer;
  const state = (await exists(join(dir, MODEL_FILES.state)))
    ? (JSON.parse(await readFile(join(dir, MODEL_FILES.state), 'utf8')) as S)
    : undefined;
  return { model, optimizer, state };
}

async function saveOptimizer(optimizer: tf.Optimizer, dir: string): Promise<void> {
  const named = await optimizer.getWeights();
  try {
    const { data, specs } = await tf.io.encodeWeights(named);
    const file: OptimizerFile = {
      format: 'manta-optimizer',
      className: optimizer.getClassName(),
      config: optimizer.getConfig(),
      weightSpecs: specs,
      weightsFile: MODEL_FILES.optimizerWeights,
    };
    await writeFile(join(dir, MODEL_FILES.optimizerWeights), new Uint8Array(data));
    await writeFile(join(dir, MODEL_FILES.optimizer), JSON.stringify(file));
  } finally {
    // getWeights() returns the optimizer's own variables plus fresh tensors (the iteration count).
    for (const { tensor } of named) if (!(tensor instanceof tf.Variable)) tensor.dispose();
  }
}

async function loadOptimizer(dir: string, given: tf.Optimizer | undefined): Promise<tf.Optimizer> {
  const file = JSON.parse(await readFile(join(dir, MODEL_FILES.optimizer), 'utf8')) as OptimizerFile;
  const optimizer = given ?? buildOptimizer(file);
  if (given && given.getClassName() !== file.className) {
    throw new CheckpointError(
      `The checkpoint in ${dir} holds ${file.className} state, but the optimizer given is a ${given.getClassName()}`,
      { code: 'CHECKPOINT_OPTIMIZER_MISMATCH' },
    );
  }
  const data = await readRequired(dir, file.weightsFile);
  const map = tf.io.decodeWeights(toArrayBuffer(data), file.weightSpecs);
  // setWeights matches state to variables by position, so keep the saved order.
  await optimizer.setWeights(file.weightSpecs.map((spec) => ({ name: spec.name, tensor: map[spec.name] })));
  for (const tensor of Object.values(map)) tensor.dispose();
  return optimizer;
}

function buildOptimizer(file: OptimizerFile): tf.Optimizer {
  const registered = tf.serialization.SerializationMap.getMap().classNameMap[file.className];
  if (!registered) {
    throw new CheckpointError(
      `Cannot rebuild optimizer class ${file.className}: it is not registered with tfjs`,
      {
        code: 'CHECKPOINT_OPTIMIZER_UNKNOWN',
      },
    );
  }
  const [cls, fromConfig] = registered;
  return fromConfig(cls, file.config) as unknown as tf.Optimizer;
}

async function readRequired(dir: string, name: string): Promise<Buffer>;
async function readRequired(dir: string, name: string, encoding: 'utf8'): Promise<string>;
async function readRequired(dir: string, name: string, encoding?: 'utf8'): Promise<Buffer | string> {
  try {
    return encoding ? await readFile(join(dir, name), encoding) : await readFile(join(dir, name));
  } catch (error) {
    throw new CheckpointError(`${join(dir, name)} is missing: not a folder written by saveModelToDirectory`, {
      code: 'CHECKPOINT_NOT_FOUND',
      cause: error,
    });
  }
}

function toArrayBuffer(buffer: Buffer): ArrayBuffer {
  return buffer.buffer.slice(buffer.byteOffset, buffer.byteOffset + buffer.byteLength) as ArrayBuffer;
}

async function exists(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined)) !== undefined;
}
