// Builds the small CNN model directories that the export tests convert: every layer kind the engine's
// presets use or will use (conv2d, batch normalization over 4-D and 2-D tensors, max and average
// pooling with 'valid' and 'same' padding, dropout, flatten, reshape, ReLU with a cap, softmax as a
// layer, and each activation the exporter maps), trained for two epochs on 3,000 real images so
// that weights and batch-norm statistics are far from their initial values and predictions are
// confident (near-uniform probabilities would hide conversion errors).
//
// Run as a child process (node test/helpers/export-fixtures.mjs DATA_DIR OUT_DIR): tfjs-node is
// loaded by one thread per process, and the vitest process must stay free of it.
/* global process, console */
import { readFileSync, writeFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'

process.env.TF_CPP_MIN_LOG_LEVEL ??= '2'
const require = createRequire(import.meta.url)
const tf = require('@tensorflow/tfjs-node')

const [dataDir, outDir] = process.argv.slice(2)
if (!dataDir || !outDir) throw new Error('usage: export-fixtures.mjs DATA_DIR OUT_DIR')

const CLASSES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot'
]

/** IDX payloads (header skipped: 16 bytes for images, 8 for labels). */
function idx(file, header) {
  return gunzipSync(readFileSync(join(dataDir, file))).subarray(header)
}

const TRAIN = 3000
const trainPixels = Float32Array.from(
  idx('train-images-idx3-ubyte.gz', 16).subarray(0, TRAIN * 784),
  (v) => v / 255
)
const trainLabels = Array.from(idx('train-labels-idx1-ubyte.gz', 8).subarray(0, TRAIN))
const testImages = idx('t10k-images-idx3-ubyte.gz', 16)
const testLabels = idx('t10k-labels-idx1-ubyte.gz', 8)

/** Flat 784 input, reshaped inside the model: what the worker's predict feeds today. */
function flatInputCnn() {
  const L = tf.layers
  const m = tf.sequential({ name: 'cnn_flat' })
  m.add(L.reshape({ targetShape: [28, 28, 1], inputShape: [784], name: 'to_image' }))
  m.add(
    L.conv2d({ filters: 8, kernelSize: 3, padding: 'same', activation: 'relu', name: 'conv_1' })
  )
  m.add(L.batchNormalization({ name: 'bn_1' }))
  m.add(L.maxPooling2d({ poolSize: 2, name: 'pool_1' }))
  // 14 -> 11: 'same' average pooling of an odd size pads, and TensorFlow leaves the padding out of
  // the average (ONNX's count_include_pad 0), which a wrong export gets visibly wrong.
  m.add(L.conv2d({ filters: 16, kernelSize: 4, name: 'conv_2' }))
  m.add(L.activation({ activation: 'relu', name: 'relu_2' }))
  m.add(L.averagePooling2d({ poolSize: 2, padding: 'same', name: 'pool_2' }))
  m.add(L.dropout({ rate: 0.25, name: 'drop' }))
  m.add(L.flatten({ name: 'flat' }))
  m.add(L.dense({ units: 32, activation: 'elu', name: 'dense_1' }))
  m.add(L.reLU({ maxValue: 4, name: 'capped_relu' }))
  m.add(L.dense({ units: 10, name: 'logits' }))
  m.add(L.softmax({ name: 'probabilities' }))
  return m
}

/** NHWC [28, 28, 1] input; strides, 'same' max pooling, 2-D batch norm, the other activations. */
function imageInputCnn() {
  const L = tf.layers
  const m = tf.sequential({ name: 'cnn_nhwc' })
  m.add(
    L.conv2d({
      inputShape: [28, 28, 1],
      filters: 6,
      kernelSize: 5,
      strides: 2,
      padding: 'same',
      activation: 'tanh',
      name: 'conv'
    })
  )
  m.add(L.maxPooling2d({ poolSize: 3, strides: 2, padding: 'same', name: 'pool' }))
  m.add(L.batchNormalization({ name: 'bn_image' }))
  m.add(L.flatten({ name: 'flat' }))
  m.add(L.dense({ units: 24, activation: 'sigmoid', name: 'dense_sigmoid' }))
  m.add(L.batchNormalization({ name: 'bn_vector' }))
  m.add(L.activation({ activation: 'selu', name: 'selu' }))
  m.add(L.dense({ units: 20, activation: 'softplus', name: 'dense_softplus' }))
  m.add(L.dense({ units: 16, activation: 'softsign', name: 'dense_softsign' }))
  m.add(L.activation({ activation: 'relu6', name: 'relu6' }))
  m.add(L.activation({ activation: 'swish', name: 'swish' }))
  m.add(L.dense({ units: 10, activation: 'softmax', name: 'output' }))
  return m
}

/** Accuracy and mean top probability on the first 1,000 test images. */
function heldOut(model, inputShape) {
  const n = 1000
  const probs = tf.tidy(() =>
    model
      .predict(
        tf.tensor(
          Float32Array.from(testImages.subarray(0, n * 784), (v) => v / 255),
          [n, ...inputShape]
        )
      )
      .arraySync()
  )
  const top = probs.map((row) => row.indexOf(Math.max(...row)))
  return {
    accuracy: top.filter((p, i) => p === testLabels[i]).length / n,
    confidence: probs.reduce((sum, row) => sum + Math.max(...row), 0) / n
  }
}

async function build(name, makeModel, inputShape) {
  // Initialisation and dropout are random and a short run now and then lands badly, while the test
  // needs a model that has learnt something with confident probabilities (or agreement proves
  // little): train again until it has, up to five times.
  let model
  for (let attempt = 1; attempt <= 5; attempt++) {
    model?.dispose()
    model = makeModel()
    model.compile({ optimizer: tf.train.adam(0.005), loss: 'categoricalCrossentropy' })
    const x = tf.tensor(trainPixels, [TRAIN, ...inputShape])
    const y = tf.oneHot(tf.tensor1d(trainLabels, 'int32'), 10)
    await model.fit(x, y, { epochs: 2, batchSize: 32, verbose: 0 })
    tf.dispose([x, y])
    // Sharpen the softmax (the last weighted layer's kernel and bias x4: same argmax, confident
    // probabilities), as a short training leaves them near uniform, where errors would hide.
    const last = model.layers.filter((l) => l.getWeights().length > 0).pop()
    last.setWeights(last.getWeights().map((w) => tf.mul(w, 4)))
    const h = heldOut(model, inputShape)
    if (h.accuracy >= 0.6 && h.confidence >= 0.7) break
    console.error(`${name}: attempt ${attempt} learnt too little (${JSON.stringify(h)}), again`)
  }
  const dir = join(outDir, name)
  await model.save(`file://${dir}`)
  writeFileSync(
    join(dir, 'metadata.json'),
    JSON.stringify({
      format: 'fashion-studio-model',
      id: name,
      preset: name,
      classes: CLASSES,
      input: { shape: inputShape, scaling: 'pixel / 255' }
    })
  )
  // Our own probabilities for the test set, for models whose input the worker cannot feed yet.
  const probs = tf.tidy(() => {
    const px = tf.tensor(
      Float32Array.from(testImages, (v) => v / 255),
      [10000, ...inputShape]
    )
    return model.predict(px, { batchSize: 2000 })
  })
  writeFileSync(join(dir, 'tfjs-probabilities.bin'), probs.dataSync())
  probs.dispose()
  console.log(`${name}: ${dir}`)
}

tf.setBackend('tensorflow')
tf.util.seedrandom?.('0')
await build('cnn-flat', flatInputCnn, [784])
await build('cnn-nhwc', imageInputCnn, [28, 28, 1])
