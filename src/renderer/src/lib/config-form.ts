// The Train form edits text (what the user typed), not numbers: a half-typed "0." or an empty field
// must stay on screen and get a message, instead of being coerced by the input. This module turns
// that text into a TrainConfig through the shared schema, with one plain-language message per field.
import { SCHEDULES, TrainConfigSchema, type TrainConfig } from '@shared/training'
import type { z } from 'zod'

export const CONFIG_FIELDS = [
  'epochs',
  'batchSize',
  'learningRate',
  'validationSplit',
  'seed',
  'hiddenUnits',
  'convFilters',
  'convsPerBlock',
  'padding',
  'batchNorm',
  'dropout',
  'shift',
  'flip',
  'erase',
  'schedule',
  'reduceOnPlateau',
  'earlyStoppingPatience',
  'labelSmoothing',
  'mixedPrecision'
] as const
export type ConfigField = (typeof CONFIG_FIELDS)[number]

/** How each field is edited: typed text, a choice, or a switch ('true' / 'false' in the form). */
export const FIELD_KINDS: Record<ConfigField, 'number' | 'list' | 'choice' | 'switch'> = {
  epochs: 'number',
  batchSize: 'number',
  learningRate: 'number',
  validationSplit: 'number',
  seed: 'number',
  hiddenUnits: 'list',
  convFilters: 'list',
  convsPerBlock: 'number',
  padding: 'choice',
  batchNorm: 'switch',
  dropout: 'number',
  shift: 'number',
  flip: 'switch',
  erase: 'switch',
  schedule: 'choice',
  reduceOnPlateau: 'switch',
  earlyStoppingPatience: 'number',
  labelSmoothing: 'number',
  mixedPrecision: 'switch'
}

export const FIELD_CHOICES: Partial<Record<ConfigField, readonly string[]>> = {
  padding: ['valid', 'same'],
  schedule: SCHEDULES
}

/** Fields of the augment object, which the form shows flat. */
const AUGMENT_FIELDS = ['shift', 'flip', 'erase'] as const

/** The form's text, one string per editable hyperparameter. */
export type ConfigForm = Record<ConfigField, string>
export type FieldErrors = Partial<Record<ConfigField, string>>

export const FIELD_LABELS: Record<ConfigField, string> = {
  epochs: 'Epochs',
  batchSize: 'Batch size',
  learningRate: 'Learning rate',
  validationSplit: 'Validation split',
  seed: 'Seed',
  hiddenUnits: 'Hidden layers',
  convFilters: 'Convolution blocks',
  convsPerBlock: 'Convolutions per block',
  padding: 'Padding',
  batchNorm: 'Batch normalization',
  dropout: 'Dropout',
  shift: 'Random shift (px)',
  flip: 'Random mirroring',
  erase: 'Random erasing',
  schedule: 'Learning-rate schedule',
  reduceOnPlateau: 'Reduce on plateau',
  earlyStoppingPatience: 'Early stopping patience',
  labelSmoothing: 'Label smoothing',
  mixedPrecision: 'Mixed precision (bfloat16)'
}

export function configToForm(config: TrainConfig): ConfigForm {
  return {
    epochs: String(config.epochs),
    batchSize: String(config.batchSize),
    learningRate: String(config.learningRate),
    validationSplit: String(config.validationSplit),
    seed: String(config.seed),
    hiddenUnits: config.hiddenUnits.join(', '),
    convFilters: config.convFilters.join(', '),
    convsPerBlock: String(config.convsPerBlock),
    padding: config.padding,
    batchNorm: String(config.batchNorm),
    dropout: String(config.dropout),
    shift: String(config.augment.shift),
    flip: String(config.augment.flip),
    erase: String(config.augment.erase),
    schedule: config.schedule,
    reduceOnPlateau: String(config.reduceOnPlateau),
    earlyStoppingPatience: String(config.earlyStoppingPatience),
    labelSmoothing: String(config.labelSmoothing),
    mixedPrecision: String(config.mixedPrecision)
  }
}

export interface ParsedForm {
  /** The valid config, or null while any field has an error. */
  config: TrainConfig | null
  errors: FieldErrors
}

/** Parses the form for a preset; every field gets at most one message (its first problem). */
export function parseConfigForm(form: ConfigForm, preset: TrainConfig['preset']): ParsedForm {
  const errors: FieldErrors = {}
  const candidate: Record<string, unknown> = { preset }

  const augment: Record<string, unknown> = {}
  for (const field of CONFIG_FIELDS) {
    const target = (AUGMENT_FIELDS as readonly string[]).includes(field) ? augment : candidate
    const kind = FIELD_KINDS[field]
    if (kind === 'switch') target[field] = form[field] === 'true'
    else if (kind === 'choice') target[field] = form[field]
    else if (kind === 'list') {
      const widths = parseWidths(form[field], field === 'convFilters')
      if (typeof widths === 'string') errors[field] = widths
      else target[field] = widths
    } else {
      const parsed = parseNumber(form[field])
      if (typeof parsed === 'string') errors[field] = parsed
      else target[field] = parsed
    }
  }
  candidate.augment = augment

  // Fields that failed to parse are left out of the candidate: their "required" issues from the
  // schema are ignored below, since the parse message above is the more precise one.
  const result = TrainConfigSchema.safeParse(candidate)
  if (result.success && Object.keys(errors).length === 0) return { config: result.data, errors }
  for (const issue of result.error?.issues ?? []) {
    // Augmentation issues carry the nested path ['augment', 'shift']: the form shows them flat.
    const field = issue.path[0] === 'augment' ? issue.path[1] : issue.path[0]
    if (!isConfigField(field) || errors[field]) continue
    errors[field] = describeIssue(field, issue)
  }
  return { config: null, errors }
}

function isConfigField(value: unknown): value is ConfigField {
  return typeof value === 'string' && (CONFIG_FIELDS as readonly string[]).includes(value)
}

/** A finite number, or the message saying why the text is not one. */
function parseNumber(text: string): number | string {
  const trimmed = text.trim()
  if (trimmed === '') return 'Required'
  const value = Number(trimmed)
  return Number.isFinite(value) ? value : 'Must be a number'
}

/** "128, 64" -> [128, 64]; a message for empty input or a part that is not a number. */
function parseWidths(text: string, allowEmpty = false): number[] | string {
  if (text.trim() === '') return allowEmpty ? [] : 'Give at least one layer width, e.g. 128, 64'
  const parts = text.split(',').map((p) => p.trim())
  const widths: number[] = []
  for (const [i, part] of parts.entries()) {
    const value = parseNumber(part)
    if (typeof value === 'string') {
      return part === ''
        ? 'Widths are numbers separated by commas, e.g. 128, 64'
        : `Layer ${i + 1}: "${part}" is not a number`
    }
    widths.push(value)
  }
  return widths
}

function describeIssue(field: ConfigField, issue: z.core.$ZodIssue): string {
  // For list fields, issues about one width carry its index after the field name.
  const index = issue.path[0] === 'augment' ? undefined : issue.path[1]
  const prefix = typeof index === 'number' ? `Layer ${index + 1}: ` : ''
  const sentence = (text: string): string =>
    prefix ? prefix + text.charAt(0).toLowerCase() + text.slice(1) : text

  switch (issue.code) {
    case 'invalid_type':
      return sentence(issue.expected === 'int' ? 'Must be a whole number' : 'Must be a number')
    case 'too_small':
      if (issue.origin === 'array') return 'Give at least one layer width'
      return sentence(
        issue.inclusive === false
          ? `Must be greater than ${issue.minimum}`
          : `Must be at least ${issue.minimum}`
      )
    case 'too_big':
      if (issue.origin === 'array') return `At most ${issue.maximum} layers`
      return sentence(
        issue.inclusive === false
          ? `Must be less than ${issue.maximum}`
          : `Must be at most ${issue.maximum}`
      )
    default:
      return sentence(issue.message)
  }
}
