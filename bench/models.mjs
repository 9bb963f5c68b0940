#!/usr/bin/env node
// Part of `npm run bench`: the convolutional presets.
//  1. The same network in both engines: cnn-small (conv32-pool-conv64-pool-dense128, Adam, batch 64,
//     20% validation) against ../shared/bench/keras-reference.sh cnn, in the same run.
//  2. Time to accuracy per preset: each preset trained with the test set evaluated after every epoch
//     (that evaluation is left out of the times), printing when it first reached 0.90 / 0.92 / 0.93 /
//     0.94 and its final accuracy. BENCH_PRESETS=cnn-small,cnn-bn picks presets;
//     BENCH_CNN_EPOCHS sets the epochs of part 1 (default 15). The machine is shared and noisy:
//     compare the ratios of one run, not absolute seconds.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { lastJson, table, train } from './lib.mjs'

const cnnEpochs = Number(process.env.BENCH_CNN_EPOCHS ?? 15)
const presets = (process.env.BENCH_PRESETS ?? 'seed,cnn-small,cnn-bn,cnn-best')
  .split(',')
  .filter(Boolean)
const keras = process.env.KERAS_REFERENCE ?? resolve('../shared/bench/keras-reference.sh')
const targets = [0.9, 0.92, 0.93, 0.94]

// 1. Same network, same machine, same run.
console.error(`\ncnn-small, ${cnnEpochs} epochs: Fashion Studio ...`)
const ours = train(['--preset', 'cnn-small', '--epochs', String(cnnEpochs)])
let k
if (existsSync(keras)) {
  console.error(`running the Keras reference (${keras} cnn ${cnnEpochs} 0) ...`)
  const res = spawnSync('bash', [keras, 'cnn', String(cnnEpochs), '0'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit']
  })
  if (res.status === 0) k = lastJson(res.stdout)
  else console.error(`Keras reference failed (${res.status})`)
}
console.log(`\nThe same CNN (conv32-pool-conv64-pool-dense128), ${cnnEpochs} epochs, batch 64:\n`)
console.log(
  table([
    ['', 'Fashion Studio', k ? k.engine : 'Keras (not available)', 'ratio (ours / Keras)'],
    [
      's/epoch',
      ours.secondsPerEpoch.toFixed(2),
      k ? k.s_per_epoch.toFixed(2) : '-',
      k ? (ours.secondsPerEpoch / k.s_per_epoch).toFixed(2) : ''
    ],
    [
      'total training s',
      ours.trainSeconds.toFixed(1),
      k ? k.train_s.toFixed(1) : '-',
      k ? (ours.trainSeconds / k.train_s).toFixed(2) : ''
    ],
    [
      'test accuracy',
      ours.testAccuracy.toFixed(4),
      k ? k.test_acc.toFixed(4) : '-',
      k ? `${((ours.testAccuracy - k.test_acc) * 100).toFixed(2)} points` : ''
    ],
    [
      'predict 10k test images, s',
      ours.predictTestSeconds.toFixed(2),
      k ? k.predict_10k_s.toFixed(2) : '-',
      k ? (ours.predictTestSeconds / k.predict_10k_s).toFixed(2) : ''
    ],
    ['peak RSS, MB', ours.maxRssMB, '-', '']
  ])
)

// 2. Time to accuracy, per preset.
const rows = [
  [
    'preset',
    'epochs',
    ...targets.map((t) => `time to ${t.toFixed(2)}`),
    'final test acc',
    's/epoch',
    'peak RSS MB'
  ]
]
for (const preset of presets) {
  console.error(`\n${preset}: training with the test set evaluated after every epoch ...`)
  const r = train(['--preset', preset, '--track-test'])
  const reached = targets.map((t) => {
    const h = r.history.find((e) => (e.test_accuracy ?? 0) >= t)
    if (!h) return '-'
    const seconds = h.elapsed ?? r.history.slice(0, h.epoch).reduce((n, e) => n + e.seconds, 0)
    return `${(seconds / 60).toFixed(1)} min (ep ${h.epoch})`
  })
  rows.push([
    preset,
    r.history.length,
    ...reached,
    r.testAccuracy.toFixed(4),
    r.secondsPerEpoch.toFixed(1),
    r.maxRssMB
  ])
}
console.log(
  '\nTime to test accuracy (training and validation time; the per-epoch test evaluation excluded):\n'
)
console.log(table(rows))
