#!/usr/bin/env node
// Part of `npm run bench`: the convolutional presets.
//  1. The same network in both engines: cnn-small (conv32-pool-conv64-pool-dense128, Adam, batch 64,
//     20% validation) against ../shared/bench/keras_reference.py cnn, in the same run, in float32
//     and, where the CPU has bfloat16 units, in mixed precision (bench/keras-policy.py). Ours runs
//     twice: with its default graph steps and with the eager steps (FASHION_STUDIO_EAGER_STEPS=1).
//  2. Time to accuracy per preset: each preset trained with the test set evaluated after every epoch
//     (that evaluation is left out of the times), printing when it first reached 0.90 / 0.92 / 0.93 /
//     0.94 and its final accuracy. BENCH_PRESETS=cnn-small,cnn-bn picks presets;
//     BENCH_CNN_EPOCHS sets the epochs of part 1 (default 15). The machine is shared and noisy:
//     compare the ratios of one run, not absolute seconds.
import { spawnSync } from 'node:child_process'
import { existsSync, readFileSync } from 'node:fs'
import { dirname, join, resolve } from 'node:path'
import { kerasVenvDir } from '../scripts/setup/keras-venv.mjs'
import { lastJson, table, train } from './lib.mjs'

const cnnEpochs = Number(process.env.BENCH_CNN_EPOCHS ?? 15)
const presets = (process.env.BENCH_PRESETS ?? 'seed,cnn-small,cnn-bn,cnn-best')
  .split(',')
  .filter(Boolean)
const keras = process.env.KERAS_REFERENCE ?? resolve('../shared/bench/keras-reference.sh')
const targets = [0.9, 0.92, 0.93, 0.94]

// 1. Same network, same machine, same run: float32 in both engines, then (on CPUs with bfloat16
// units) mixed precision in both, ours with --mixed-precision and Keras under 'mixed_bfloat16'.
const kerasPython = join(
  kerasVenvDir(),
  process.platform === 'win32' ? 'Scripts/python.exe' : 'bin/python'
)
const kerasScript = join(dirname(keras), 'keras_reference.py')
function kerasRun(policy) {
  if (!existsSync(kerasPython) || !existsSync(kerasScript)) return undefined
  console.error(`running the Keras reference (${kerasScript} cnn ${cnnEpochs} 0, ${policy}) ...`)
  const res = spawnSync(
    kerasPython,
    ['bench/keras-policy.py', policy, kerasScript, 'cnn', String(cnnEpochs), '0'],
    { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }
  )
  if (res.status === 0) return lastJson(res.stdout)
  console.error(`Keras reference failed (${res.status})`)
  return undefined
}
const precisions = [['float32', '--no-mixed-precision', 'float32']]
if (
  /\b(amx_bf16|avx512_bf16)\b/.test(
    existsSync('/proc/cpuinfo') ? readFileSync('/proc/cpuinfo', 'utf8') : ''
  )
) {
  precisions.push(['mixed bfloat16', '--mixed-precision', 'mixed_bfloat16'])
}
const sameNetwork = [
  ['', 'ours, graph steps', 'ours, eager steps', 'Keras', 'graph / Keras', 'eager / Keras']
]
for (const [label, flag, policy] of precisions) {
  const args = ['--preset', 'cnn-small', '--epochs', String(cnnEpochs), flag]
  console.error(`\ncnn-small, ${cnnEpochs} epochs, ${label}: Fashion Studio, graph steps ...`)
  const ours = train(args)
  console.error(`cnn-small, ${cnnEpochs} epochs, ${label}: Fashion Studio, eager steps ...`)
  const eager = train(args, { FASHION_STUDIO_EAGER_STEPS: '1' })
  const k = kerasRun(policy)
  const ratio = (a, b) => (b ? (a / b).toFixed(2) : '')
  const row = (name, pick, kerasValue, digits) => [
    `${label}: ${name}`,
    pick(ours).toFixed(digits),
    pick(eager).toFixed(digits),
    kerasValue === undefined ? '-' : kerasValue.toFixed(digits),
    ratio(pick(ours), kerasValue),
    ratio(pick(eager), kerasValue)
  ]
  sameNetwork.push(
    row('total training s', (r) => r.trainSeconds, k?.train_s, 1),
    row('s/epoch', (r) => r.secondsPerEpoch, k?.s_per_epoch, 2),
    [
      `${label}: test accuracy`,
      ours.testAccuracy.toFixed(4),
      eager.testAccuracy.toFixed(4),
      k ? k.test_acc.toFixed(4) : '-',
      k ? `${((ours.testAccuracy - k.test_acc) * 100).toFixed(2)} points` : '',
      k ? `${((eager.testAccuracy - k.test_acc) * 100).toFixed(2)} points` : ''
    ],
    row('predict 10k test images, s', (r) => r.predictTestSeconds, k?.predict_10k_s, 2),
    [`${label}: peak RSS, MB`, ours.maxRssMB, eager.maxRssMB, '-', '', '']
  )
}
console.log(
  `\nThe same CNN (conv32-pool-conv64-pool-dense128), ${cnnEpochs} epochs, batch 64, 20% validation:\n`
)
console.log(table(sameNetwork))
console.log(
  "(ours: s/epoch is the training steps alone, the total includes validation; Keras's s/epoch is its total / epochs)"
)

// 2. Time to accuracy, per preset.
const rows = [
  [
    'preset',
    'epochs',
    ...targets.map((t) => `time to ${t.toFixed(2)}`),
    'final test acc',
    's/epoch',
    'peak RSS MB',
    'live tensors after each epoch'
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
    r.maxRssMB,
    // Flat (one number) unless something leaks.
    [...new Set(r.tensorsAfterEpoch ?? [])].join(', ')
  ])
}
console.log(
  '\nTime to test accuracy (training and validation time; the per-epoch test evaluation excluded):\n'
)
console.log(table(rows))
