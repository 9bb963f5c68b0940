#!/usr/bin/env node
// `npm run bench`: the seed experiment on this machine, timed, beside the same experiment in Keras
// (../shared/bench/keras-reference.sh, or $KERAS_REFERENCE) when it is available, in the same run.
// The machine is shared and noisy, so compare the ratios printed at the end, not absolute seconds.
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { resolve } from 'node:path'
import { lastJson, table, train } from './lib.mjs'

const epochs = Number(process.env.BENCH_EPOCHS ?? 15)
const keras = process.env.KERAS_REFERENCE ?? resolve('../shared/bench/keras-reference.sh')

/** Default graph steps, or (eager) the flat-vector path with eager kernel calls. */
function ours(eager = false) {
  return train(
    ['--preset', 'seed', '--epochs', String(epochs)],
    eager ? { FASHION_STUDIO_EAGER_STEPS: '1' } : {}
  )
}

function reference() {
  if (!existsSync(keras)) return undefined
  console.error(`\nrunning the Keras reference (${keras} mlp ${epochs} 0) ...`)
  const res = spawnSync('bash', [keras, 'mlp', String(epochs), '0'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit']
  })
  if (res.status !== 0) {
    console.error(`Keras reference failed (${res.status}); printing our figures alone`)
    return undefined
  }
  return lastJson(res.stdout)
}

console.error(`seed preset, ${epochs} epochs: Fashion Studio (tfjs-node, graph steps) ...`)
const a = ours()
console.error(`seed preset, ${epochs} epochs: Fashion Studio (eager steps) ...`)
const e = ours(true)
const k = reference()
const imagesPerSecond = 10000 / a.predictTestSeconds
const rows = [
  ['', 'Fashion Studio', k ? k.engine : 'Keras (not available)', 'ratio (ours / Keras)'],
  ['backend', `${a.backend}${a.native ? ' (native)' : ''}`, k ? 'tensorflow' : '-', ''],
  [
    's/epoch',
    a.secondsPerEpoch.toFixed(3),
    k ? k.s_per_epoch.toFixed(3) : '-',
    k ? (a.secondsPerEpoch / k.s_per_epoch).toFixed(2) : ''
  ],
  [
    'total training s',
    a.trainSeconds.toFixed(1),
    k ? k.train_s.toFixed(1) : '-',
    k ? (a.trainSeconds / k.train_s).toFixed(2) : ''
  ],
  [
    'test accuracy',
    a.testAccuracy.toFixed(4),
    k ? k.test_acc.toFixed(4) : '-',
    k ? `${((a.testAccuracy - k.test_acc) * 100).toFixed(2)} points` : ''
  ],
  [
    'predict 10k test images, s',
    a.predictTestSeconds.toFixed(3),
    k ? k.predict_10k_s.toFixed(3) : '-',
    k ? (a.predictTestSeconds / k.predict_10k_s).toFixed(2) : ''
  ],
  [
    'inference images/s',
    Math.round(imagesPerSecond).toString(),
    k ? Math.round(10000 / k.predict_10k_s).toString() : '-',
    ''
  ],
  ['peak RSS, MB', String(a.maxRssMB), '-', ''],
  [
    's/epoch with eager steps',
    e.secondsPerEpoch.toFixed(3),
    '',
    k ? (e.secondsPerEpoch / k.s_per_epoch).toFixed(2) : ''
  ],
  [
    'test accuracy with eager steps',
    e.testAccuracy.toFixed(4),
    '',
    k ? `${((e.testAccuracy - k.test_acc) * 100).toFixed(2)} points` : ''
  ]
]
console.log('\n' + table(rows))
if (k) {
  const f1 = Object.values(a.f1).map((v) => v.toFixed(3))
  console.log(`\nper-class F1, ours:  ${f1.join(' ')}`)
  console.log(`per-class F1, Keras: ${k.f1.map((v) => v.toFixed(3)).join(' ')}`)
}
