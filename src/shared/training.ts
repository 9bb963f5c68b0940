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
}

/** Hyperparameters of one training run; validated wherever they enter (CLI flags, IPC, HTTP). */
export const TrainConfigSchema = z.object({
  preset: z.literal('seed'),
  epochs: z.number().int().min(1).max(1000),
  batchSize: z.number().int().min(1).max(8192),
  learningRate: z.number().positive().max(1),
  validationSplit: z.number().min(0).max(0.9),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 31 - 1),
  /** Hidden layer widths of the dense network (the study: 128 then 64). */
  hiddenUnits: z.array(z.number().int().min(1).max(4096)).min(1).max(8)
})
export type TrainConfig = z.infer<typeof TrainConfigSchema>

/** The study's experiment: 784-128-64-10, ReLU, softmax, Adam, 15 epochs, batch 64, 20% validation. */
export const SEED_PRESET: TrainConfig = {
  preset: 'seed',
  epochs: 15,
  batchSize: 64,
  learningRate: 0.001,
  validationSplit: 0.2,
  seed: 0,
  hiddenUnits: [128, 64]
}
