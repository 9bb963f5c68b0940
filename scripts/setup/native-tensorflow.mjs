// Native TensorFlow for @tensorflow/tfjs-node.
//
// tfjs-node's own install script downloads libtensorflow 2.9.1 and a prebuilt addon; that is tried
// first, as published. Where the download is impossible, the TensorFlow C library is taken from the
// tensorflow-cpu wheel that pip can fetch (its libtensorflow_cc.so.2 exports the C and eager C API)
// and the addon is built against it with node-gyp. The extracted library and the built addon are kept
// in a cache folder, so a second setup (or a fresh clone on the same machine) takes seconds.
import { spawnSync } from 'node:child_process'
import {
  copyFileSync,
  cpSync,
  existsSync,
  linkSync,
  mkdirSync,
  readdirSync,
  rmSync,
  symlinkSync
} from 'node:fs'
import { homedir } from 'node:os'
import { delimiter, dirname, join, resolve } from 'node:path'
import { run, tryRun } from './log.mjs'

const PKG = resolve('node_modules/@tensorflow/tfjs-node')
const ADDON = join(PKG, 'lib/napi-v8/tfjs_binding.node')
const TF_WHEEL_VERSION = process.env.FASHION_STUDIO_TF_WHEEL_VERSION ?? '2.21.0'
const CACHE = resolve(process.env.FASHION_STUDIO_CACHE ?? join(homedir(), '.cache/fashion-studio'))
const WHEEL_DIR = join(CACHE, 'wheels')
const TF_DIR = join(CACHE, `tensorflow-cpu-${TF_WHEEL_VERSION}`)
const ADDON_CACHE = join(
  CACHE,
  `tfjs-node-addon-${process.platform}-${process.arch}-node${process.versions.modules}-tf${TF_WHEEL_VERSION}`
)
// tfjs-node looks for the library under the name of the libtensorflow release it was written for.
const LIB_VERSION = '2.9.1'

/** Reports which backend tfjs-node gives in a fresh process, or why it failed to load. */
function probe() {
  const res = spawnSync(
    process.execPath,
    [
      '-e',
      "const tf=require('@tensorflow/tfjs-node');process.stdout.write('BACKEND='+tf.getBackend())"
    ],
    {
      encoding: 'utf8',
      env: { ...process.env, TF_CPP_MIN_LOG_LEVEL: '2' }
    }
  )
  const backend = /BACKEND=(\w+)/.exec(res.stdout ?? '')?.[1]
  return backend === 'tensorflow'
    ? { ok: true }
    : { ok: false, why: `${res.stderr ?? ''}`.trim().split('\n').slice(-3).join(' | ') }
}

export async function ensureNativeTensorflow() {
  if (existsSync(ADDON) && probe().ok) return console.log('   already built and loading')
  if (process.platform === 'linux' && restoreFromCache() && probe().ok) {
    return console.log(`   restored from ${ADDON_CACHE}`)
  }
  if (!process.env.FASHION_STUDIO_TF_FROM_WHEEL) {
    console.log('   trying the published download (libtensorflow + prebuilt addon) ...')
    const res = tryRun(process.execPath, ['scripts/install.js'], {
      cwd: PKG,
      timeout: 300_000,
      env: buildEnv()
    })
    if (res.ok && probe().ok) return console.log('   published binaries installed')
    console.log(
      '   published download not possible here; building against the tensorflow-cpu wheel'
    )
  }
  if (process.platform !== 'linux') {
    throw new Error(
      'the published tfjs-node binaries could not be downloaded, and the wheel fallback is implemented for Linux only; check the internet connection and rerun'
    )
  }
  extractWheel()
  linkLibraries(join(TF_DIR, 'tensorflow/include'))
  run(process.execPath, ['scripts/install.js'], { cwd: PKG, env: buildEnv() })
  const check = probe()
  if (!check.ok) throw new Error(`tfjs-node built but does not load: ${check.why}`)
  saveToCache()
}

function buildEnv() {
  // node-gyp must find this Node's headers locally (it would otherwise download them) and npm's own
  // node-gyp, which npm normally puts on PATH for install scripts.
  const nodeDir = dirname(dirname(process.execPath))
  const env = {
    ...process.env,
    PATH: [resolve('node_modules/.bin'), process.env.PATH].join(delimiter)
  }
  if (existsSync(join(nodeDir, 'include/node/node.h'))) env.npm_config_nodedir = nodeDir
  const npmGyp = findNpmNodeGyp()
  if (npmGyp && !env.npm_config_node_gyp) env.npm_config_node_gyp = npmGyp
  return env
}

function findNpmNodeGyp() {
  const res = tryRun(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['root', '-g'], {
    shell: process.platform === 'win32'
  })
  const candidates = [
    join(res.output.trim(), 'npm/node_modules/node-gyp/bin/node-gyp.js'),
    join(
      dirname(dirname(process.execPath)),
      'lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js'
    )
  ]
  return candidates.find((p) => existsSync(p))
}

/** Extracts the two libraries and the headers from the wheel into the cache, once. */
function extractWheel() {
  const done = join(TF_DIR, '.complete')
  if (existsSync(done))
    return console.log(`   using extracted TensorFlow ${TF_WHEEL_VERSION} in ${TF_DIR}`)
  mkdirSync(WHEEL_DIR, { recursive: true })
  const wheel = () =>
    readdirSync(WHEEL_DIR).find(
      (f) => f.startsWith(`tensorflow_cpu-${TF_WHEEL_VERSION}-`) && f.endsWith('.whl')
    )
  if (!wheel()) {
    console.log(`   pip download tensorflow-cpu==${TF_WHEEL_VERSION} (about 274 MB) ...`)
    // --retries 0: pip's default index is unreachable offline and would be retried five times.
    run('python3', [
      '-m',
      'pip',
      'download',
      '--no-deps',
      '--retries',
      '0',
      '-q',
      '-d',
      WHEEL_DIR,
      `tensorflow-cpu==${TF_WHEEL_VERSION}`
    ])
  }
  rmSync(TF_DIR, { recursive: true, force: true })
  console.log('   extracting the TensorFlow C library and headers ...')
  const script = [
    'import sys, zipfile, os',
    'z = zipfile.ZipFile(sys.argv[1]); out = sys.argv[2]',
    'want = ("tensorflow/libtensorflow_cc.so.2", "tensorflow/libtensorflow_framework.so.2")',
    'names = [n for n in z.namelist() if n in want or n.startswith("tensorflow/include/")]',
    'missing = [w for w in want if w not in names]',
    'assert not missing, "wheel lacks %s" % missing',
    '[z.extract(n, out) for n in names]'
  ].join('\n')
  run('python3', ['-c', script, join(WHEEL_DIR, wheel()), TF_DIR])
  spawnSync('touch', [done])
}

/** Places the TensorFlow libraries where tfjs-node's binding.gyp and rpath expect them. */
function linkLibraries(includeDir) {
  const lib = join(PKG, 'deps/lib')
  rmSync(join(PKG, 'deps'), { recursive: true, force: true })
  mkdirSync(lib, { recursive: true })
  const main = `libtensorflow.so.${LIB_VERSION}`
  const framework = `libtensorflow_framework.so.${LIB_VERSION}`
  hardLinkOrCopy(join(TF_DIR, 'tensorflow/libtensorflow_cc.so.2'), join(lib, main))
  hardLinkOrCopy(join(TF_DIR, 'tensorflow/libtensorflow_framework.so.2'), join(lib, framework))
  // The addon's DT_NEEDED is the SONAME libtensorflow_cc.so.2: without that name it fails to load.
  for (const name of ['libtensorflow.so', 'libtensorflow.so.2', 'libtensorflow_cc.so.2'])
    symlinkSync(main, join(lib, name))
  for (const name of ['libtensorflow_framework.so', 'libtensorflow_framework.so.2'])
    symlinkSync(framework, join(lib, name))
  if (includeDir) symlinkSync(includeDir, join(PKG, 'deps/include'))
}

function hardLinkOrCopy(from, to) {
  try {
    linkSync(from, to) // same filesystem: no 850 MB copy
  } catch {
    copyFileSync(from, to)
  }
}

function saveToCache() {
  rmSync(ADDON_CACHE, { recursive: true, force: true })
  mkdirSync(ADDON_CACHE, { recursive: true })
  cpSync(ADDON, join(ADDON_CACHE, 'tfjs_binding.node'))
}

function restoreFromCache() {
  if (!existsSync(join(ADDON_CACHE, 'tfjs_binding.node')) || !existsSync(join(TF_DIR, '.complete')))
    return false
  linkLibraries(undefined) // headers are only needed to build
  mkdirSync(dirname(ADDON), { recursive: true })
  cpSync(join(ADDON_CACHE, 'tfjs_binding.node'), ADDON)
  return true
}
