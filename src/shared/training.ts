import { z } from 'zod'

/** Metrics Keras reports at the end of each epoch (names kept so users recognise them). */
export interface EpochLogs {
  /** 1-based epoch number. */
  epoch: number
  loss: number
  accuracy: number
  val_loss: number
  val_accuracy: number
  /** Wall-clock seconds of this epoch's training pass (validation excluded). */
  seconds: number
  /** Learning rate at the end of the epoch (schedules change it). */
  lr?: number
  /** Seconds since training started, at the end of this epoch's validation (layer networks). */
  elapsed?: number
  /** Test-set accuracy at the end of the epoch, when the run was asked to track it (benchmarks). */
  test_accuracy?: number
}

export const PRESET_IDS = ['seed', 'cnn-small', 'cnn-bn', 'cnn-best'] as const
export type PresetId = (typeof PRESET_IDS)[number]

export const SCHEDULES = ['constant', 'cosine', 'one-cycle'] as const

/** Random changes to each training batch; none of them applies to validation or test images. */
export const AugmentSchema = z.object({
  /** Largest random shift in pixels, each axis (0: off). */
  shift: z.number().int().min(0).max(8).default(0),
  /** Mirror half of the images left-right (garments are left-right symmetric). */
  flip: z.boolean().default(false),
  /** Random erasing: blank a random rectangle in half of the images. */
  erase: z.boolean().default(false)
})
export type Augment = z.infer<typeof AugmentSchema>

/** Hyperparameters of one training run; validated wherever they enter (CLI flags, IPC, HTTP). */
export const TrainConfigSchema = z.object({
  preset: z.enum(PRESET_IDS),
  epochs: z.number().int().min(1).max(1000),
  batchSize: z.number().int().min(1).max(8192),
  learningRate: z.number().positive().max(1),
  validationSplit: z.number().min(0).max(0.9),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1),
  /** Hidden dense layer widths (the study: 128 then 64; after the convolutions for CNN presets). */
  hiddenUnits: z.array(z.number().int().min(1).max(4096)).min(1).max(8),
  /** Filters of each convolution block (3x3 convolutions, then 2x2 max pooling); none: a dense network. */
  convFilters: z.array(z.number().int().min(1).max(512)).max(4).default([]),
  /** Convolutions per block, before its pooling. */
  convsPerBlock: z.number().int().min(1).max(3).default(1),
  /** 'valid' shrinks each convolution's output by 2 pixels (Keras's default), 'same' keeps the size. */
  padding: z.enum(['valid', 'same']).default('valid'),
  /** Batch normalization after every convolution and hidden dense layer. */
  batchNorm: z.boolean().default(false),
  /** Dropout rate before each hidden dense layer and the output layer (0: off). */
  dropout: z.number().min(0).max(0.9).default(0),
  augment: AugmentSchema.default({ shift: 0, flip: false, erase: false }),
  schedule: z.enum(SCHEDULES).default('constant'),
  /** Halve the learning rate when validation loss has not improved for 2 epochs. */
  reduceOnPlateau: z.boolean().default(false),
  /** Stop after this many epochs without a better validation loss, keeping the best weights (0: off). */
  earlyStoppingPatience: z.number().int().min(0).max(1000).default(0),
  /** Label smoothing of the cross-entropy targets (0: off). */
  labelSmoothing: z.number().min(0).max(0.5).default(0),
  /**
   * Mixed precision: layers compute in bfloat16, weights and Adam stay float32. Faster on CPUs with
   * bfloat16 units (AMX, AVX-512 BF16); refused on others, where it would be slower.
   */
  mixedPrecision: z.boolean().default(false)
})
export type TrainConfig = z.infer<typeof TrainConfigSchema>

const TRAINING_DEFAULTS = {
  convFilters: [],
  convsPerBlock: 1,
  padding: 'valid',
  batchNorm: false,
  dropout: 0,
  augment: { shift: 0, flip: false, erase: false },
  schedule: 'constant',
  reduceOnPlateau: false,
  earlyStoppingPatience: 0,
  labelSmoothing: 0,
  mixedPrecision: false
} as const satisfies Partial<TrainConfig>

/** The study's experiment: 784-128-64-10, ReLU, softmax, Adam, 15 epochs, batch 64, 20% validation. */
export const SEED_PRESET: TrainConfig = {
  ...TRAINING_DEFAULTS,
  convFilters: [],
  preset: 'seed',
  epochs: 15,
  batchSize: 64,
  learningRate: 0.001,
  validationSplit: 0.2,
  seed: 0,
  hiddenUnits: [128, 64]
}

/** The study's own next step, as in ../bench's Keras reference: conv32-pool-conv64-pool-dense128. */
export const CNN_SMALL_PRESET: TrainConfig = {
  ...SEED_PRESET,
  preset: 'cnn-small',
  epochs: 15,
  hiddenUnits: [128],
  convFilters: [32, 64]
}

/** Batch normalization and dropout, shifts and flips, a one-cycle schedule: ~0.93 in about 10 minutes. */
export const CNN_BN_PRESET: TrainConfig = {
  ...CNN_SMALL_PRESET,
  preset: 'cnn-bn',
  epochs: 30,
  batchSize: 128,
  learningRate: 0.003,
  validationSplit: 0.1,
  hiddenUnits: [256],
  padding: 'same',
  batchNorm: true,
  dropout: 0.3,
  augment: { shift: 2, flip: true, erase: false },
  schedule: 'one-cycle'
}

/** The best recipe found for a 2-core laptop: two convolutions per block, wider, random erasing too. */
export const CNN_BEST_PRESET: TrainConfig = {
  ...CNN_BN_PRESET,
  preset: 'cnn-best',
  epochs: 40,
  convFilters: [32, 64],
  convsPerBlock: 2,
  dropout: 0.4,
  augment: { shift: 2, flip: true, erase: true },
  labelSmoothing: 0.1
}

export const PRESETS: Record<PresetId, TrainConfig> = {
  seed: SEED_PRESET,
  'cnn-small': CNN_SMALL_PRESET,
  'cnn-bn': CNN_BN_PRESET,
  'cnn-best': CNN_BEST_PRESET
}

/**
 * True when the run needs only the study's dense network trained plainly: the dense fast path
 * (one flat weight vector) trains it; anything else goes through the layer-by-layer network.
 */
export function isPlainDense(c: TrainConfig): boolean {
  return (
    c.convFilters.length === 0 &&
    !c.batchNorm &&
    c.dropout === 0 &&
    c.augment.shift === 0 &&
    !c.augment.flip &&
    !c.augment.erase &&
    c.schedule === 'constant' &&
    !c.reduceOnPlateau &&
    c.earlyStoppingPatience === 0 &&
    c.labelSmoothing === 0 &&
    !c.mixedPrecision
  )
}
