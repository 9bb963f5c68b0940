// The presets as the studio lists them: a name and one sentence each, beside their defaults.
import type { PresetInfo } from './studio-api'
import { CNN_BEST_PRESET, CNN_BN_PRESET, CNN_SMALL_PRESET, SEED_PRESET } from './training'

export const PRESET_INFO: PresetInfo[] = [
  {
    id: 'seed',
    name: 'Seed MLP (the study)',
    description:
      '784-128-64-10 dense network, ReLU, softmax, Adam, categorical cross-entropy: the original Keras study (about 0.88 test accuracy).',
    defaults: SEED_PRESET
  },
  {
    id: 'cnn-small',
    name: 'Small CNN',
    description:
      'conv32-pool-conv64-pool-dense128, the study’s next step (about 0.91 test accuracy in 15 epochs).',
    defaults: CNN_SMALL_PRESET
  },
  {
    id: 'cnn-bn',
    name: 'CNN with batch norm and dropout',
    description:
      'Batch normalization, dropout, shifts and mirroring, one-cycle learning rate: the coffee-break model (0.93 in about 10 minutes on 2 cores).',
    defaults: CNN_BN_PRESET
  },
  {
    id: 'cnn-best',
    name: 'Best recipe',
    description:
      'Two convolutions per block, random erasing and label smoothing on top of cnn-bn: the most accurate preset, for a longer run.',
    defaults: CNN_BEST_PRESET
  }
]
