import { z } from 'zod'
import { TrainConfigSchema } from '@shared/training'

/** metadata.json of a model directory: what a person or a later tool needs to know about a model. */
export const ModelMetadataSchema = z.object({
  format: z.literal('fashion-studio-model'),
  formatVersion: z.literal(1),
  id: z.string().min(1),
  createdAt: z.string(),
  preset: z.string(),
  config: TrainConfigSchema,
  classes: z.array(z.string()).length(10),
  input: z.object({ shape: z.array(z.number()), scaling: z.string() }),
  backend: z.object({ name: z.string(), native: z.boolean(), tfjsVersion: z.string() }),
  dataset: z.object({
    name: z.string(),
    dir: z.string(),
    trainCount: z.number().int(),
    validationCount: z.number().int(),
    testCount: z.number().int()
  }),
  timings: z.object({
    trainSeconds: z.number(),
    secondsPerEpoch: z.number(),
    predictTestSeconds: z.number()
  }),
  metrics: z.object({ testAccuracy: z.number(), macroF1: z.number(), valAccuracy: z.number() }),
  parent: z.string().nullable(),
  /** An ensemble's members (it averages their probabilities); absent for a single model. */
  members: z
    .array(z.object({ id: z.string(), preset: z.string(), testAccuracy: z.number().optional() }))
    .optional()
})
export type ModelMetadata = z.infer<typeof ModelMetadataSchema>
