// Checks of the installer configuration that would otherwise only fail on a user's machine: native
// TensorFlow, sharp and onnxruntime outside app.asar, the onnxruntime worker built and kept, one macOS build per architecture, every platform built on
// its own runner. No YAML parser is installed, so these read the two files' simple layout as text.
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'

const builder = readFileSync('electron-builder.yml', 'utf8')
const workflow = readFileSync('.github/workflows/release.yml', 'utf8')
const viteConfig = readFileSync('electron.vite.config.ts', 'utf8')
const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as {
  dependencies: Record<string, string>
  devDependencies: Record<string, string>
}

/** The lines of a top-level key's block (up to the next top-level key), comments removed. */
function block(text: string, key: string): string[] {
  const lines = text.split('\n')
  const start = lines.findIndex((l) => l.startsWith(`${key}:`))
  if (start < 0) throw new Error(`no top-level ${key}`)
  const rest = lines.slice(start + 1)
  const end = rest.findIndex((l) => /^[^\s#]/.test(l))
  return [lines[start] as string, ...(end < 0 ? rest : rest.slice(0, end))]
    .map((l) => l.replace(/\s+#.*$/, ''))
    .filter((l) => l.trim() !== '' && !l.trim().startsWith('#'))
}

/** `- item` entries of a block, unquoted. */
function items(lines: string[]): string[] {
  return lines
    .filter((l) => /^\s*- /.test(l))
    .map((l) => l.replace(/^\s*- /, '').replace(/^'(.*)'$/, '$1'))
}

/** The value of `key:` inside a block (first occurrence). */
function value(lines: string[], key: string): string | undefined {
  const line = lines.find((l) => new RegExp(`^\\s*${key}:`).test(l))
  return line?.replace(new RegExp(`^\\s*${key}:\\s*`), '').replace(/^'(.*)'$/, '$1')
}

/**
 * electron-builder's glob patterns (minimatch): **, *, {a,b}, !(a|b) (any one path segment but
 * these); enough for this file's patterns.
 */
function globToRegExp(glob: string): RegExp {
  let re = ''
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string
    const not = glob.startsWith('!(', i) ? glob.indexOf(')', i) : -1
    if (not > 0) {
      const names = glob
        .slice(i + 2, not)
        .split('|')
        .join('|')
      re += `(?!(?:${names})(?:/|$))[^/]*`
      i = not
    } else if (glob.startsWith('**/', i)) {
      re += '(?:.*/)?'
      i += 2
    } else if (glob.startsWith('**', i)) {
      re += '.*'
      i += 1
    } else if (c === '*') re += '[^/]*'
    else if (c === '{') re += '(?:'
    else if (c === '}') re += ')'
    else if (c === ',') re += '|'
    else re += c.replace(/[.+?^$()|[\]\\]/g, '\\$&')
  }
  return new RegExp(`^${re}$`)
}

const unpack = items(block(builder, 'asarUnpack'))
const files = items(block(builder, 'files'))
const unpacked = (path: string): boolean => unpack.some((g) => globToRegExp(g).test(path))
/**
 * Kept in the app built on `platform` (process.platform) for `arch`: matched by a pattern of `files`
 * and by none of its exclusions, after electron-builder's ${platform} and ${arch} macros.
 */
const shippedOn = (path: string, platform: string, arch: string): boolean => {
  const patterns = files.map((g) =>
    g.replaceAll('${platform}', platform).replaceAll('${arch}', arch)
  )
  return (
    patterns.some((g) => !g.startsWith('!') && globToRegExp(g).test(path)) &&
    !patterns.some((g) => g.startsWith('!') && globToRegExp(g.slice(1)).test(path))
  )
}
const shipped = (path: string): boolean => shippedOn(path, process.platform, process.arch)

const ORT = 'node_modules/onnxruntime-node/bin/napi-v6'
/**
 * What each release build needs of onnxruntime-node: its addon and the runtime beside it.
 * onnxruntime-node 1.30 ships no darwin/x64 binaries, so the Intel macOS build has no onnx engine
 * (--engine onnx fails at start with the loader's message; tfjs, the default, is unaffected).
 */
const ORT_FILES: Record<string, string[]> = {
  'linux/x64': ['onnxruntime_binding.node', 'libonnxruntime.so.1'],
  'darwin/arm64': ['onnxruntime_binding.node', 'libonnxruntime.1.dylib'],
  'win32/x64': ['onnxruntime_binding.node', 'onnxruntime.dll', 'DirectML.dll']
}

const TFJS = 'node_modules/@tensorflow/tfjs-node'
// What each platform's tfjs-node install leaves for the addon to load.
const NATIVE_FILES = [
  `${TFJS}/lib/napi-v8/tfjs_binding.node`,
  `${TFJS}/lib/napi-v8/tensorflow.dll`,
  `${TFJS}/deps/lib/tensorflow.dll`,
  `${TFJS}/deps/lib/libtensorflow.so.2`,
  `${TFJS}/deps/lib/libtensorflow_framework.so.2`,
  `${TFJS}/deps/lib/libtensorflow.2.dylib`,
  `${TFJS}/deps/lib/libtensorflow_framework.2.dylib`,
  'node_modules/@img/sharp-win32-x64/lib/sharp-win32-x64.node',
  'node_modules/@img/sharp-win32-x64/lib/libvips-42.dll',
  'node_modules/@img/sharp-darwin-arm64/lib/sharp-darwin-arm64.node',
  'node_modules/@img/sharp-libvips-darwin-x64/lib/libvips-cpp.8.17.3.dylib',
  'node_modules/@img/sharp-linux-x64/lib/sharp-linux-x64.node',
  'node_modules/@img/sharp-libvips-linux-x64/lib/libvips-cpp.so.8.17.3',
  'node_modules/sharp/lib/sharp.js',
  'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm',
  'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm',
  'node_modules/@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm'
]

/** Every file under `dir` (relative to the repository), following no symlinks to folders. */
function walk(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? walk(join(dir, e.name)) : [join(dir, e.name).split('\\').join('/')]
  )
}

describe('electron-builder.yml', () => {
  it('unpacks native TensorFlow, sharp and the wasm files from app.asar, and ships them', () => {
    for (const path of NATIVE_FILES) {
      expect(unpacked(path), `${path} unpacked`).toBe(true)
      expect(shipped(path), `${path} shipped`).toBe(true)
    }
  })

  it("unpacks every native file this machine's install actually has", () => {
    const installed = [
      ...walk(`${TFJS}/lib`),
      ...walk(`${TFJS}/deps/lib`),
      ...walk('node_modules/@img')
    ]
    expect(installed.some((p) => p.endsWith('/tfjs_binding.node'))).toBe(true)
    for (const path of installed) expect(unpacked(path), path).toBe(true)
  })

  it("unpacks onnxruntime-node, and ships each build only its own platform's binaries", () => {
    for (const [target, names] of Object.entries(ORT_FILES)) {
      const [platform, arch] = target.split('/') as [string, string]
      for (const name of names) {
        const path = `${ORT}/${target}/${name}`
        expect(unpacked(path), `${path} unpacked`).toBe(true)
        expect(shippedOn(path, platform, arch), `${path} shipped on ${target}`).toBe(true)
        for (const other of Object.keys(ORT_FILES).filter((t) => t !== target)) {
          const [p, a] = other.split('/') as [string, string]
          expect(shippedOn(path, p, a), `${path} left out on ${other}`).toBe(false)
        }
      }
    }
    // The JavaScript around the addon ships on every platform.
    expect(shippedOn('node_modules/onnxruntime-node/dist/index.js', 'win32', 'x64')).toBe(true)
    expect(shippedOn('node_modules/onnxruntime-common/dist/cjs/index.js', 'linux', 'x64')).toBe(
      true
    )
  })

  it("unpacks and ships every onnxruntime file this machine's install has for itself", () => {
    const own = walk(`${ORT}/${process.platform}/${process.arch}`)
    expect(own.some((p) => p.endsWith('/onnxruntime_binding.node'))).toBe(true)
    for (const path of own) {
      expect(unpacked(path), path).toBe(true)
      expect(shipped(path), path).toBe(true)
    }
  })

  it('keeps onnxruntime-node a production dependency (electron-builder drops devDependencies)', () => {
    expect(pkg.dependencies['onnxruntime-node']).toBeDefined()
    expect(pkg.devDependencies['onnxruntime-node']).toBeUndefined()
  })

  it('ships the built app and package.json, and drops the TensorFlow headers', () => {
    expect(shipped('out/main/index.js')).toBe(true)
    expect(shipped('out/main/training-worker.js')).toBe(true)
    expect(shipped('out/main/onnx-worker.js')).toBe(true)
    expect(shipped('out/preload/index.js')).toBe(true)
    expect(shipped('out/renderer/index.html')).toBe(true)
    expect(shipped('package.json')).toBe(true)
    expect(shipped(`${TFJS}/dist/index.js`)).toBe(true)
    expect(shipped(`${TFJS}/deps/include/tensorflow/c/c_api.h`)).toBe(false)
    expect(shipped('src/main/index.ts')).toBe(false)
  })

  it('does not rebuild the N-API addons for Electron', () => {
    expect(value(block(builder, 'npmRebuild'), 'npmRebuild')).toBe('false')
  })

  it('has the identity and the icon', () => {
    expect(value(block(builder, 'appId'), 'appId')).toMatch(/^[a-z0-9.-]+$/)
    expect(value(block(builder, 'productName'), 'productName')).toBe('Fashion Studio')
    expect(value(block(builder, 'icon'), 'icon')).toBe('resources/icon.png')
    const png = readFileSync('resources/icon.png')
    expect(png.subarray(1, 4).toString()).toBe('PNG')
    // IHDR: width and height, big-endian, at bytes 16 and 20.
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([512, 512])
  })

  it('builds nsis for Windows, dmg for macOS, AppImage and deb for Linux', () => {
    expect(value(block(builder, 'win'), 'target')).toBe('nsis')
    expect(value(block(builder, 'mac'), 'target')).toBe('dmg')
    expect(value(block(builder, 'linux'), 'target')).toBe('[AppImage, deb]')
  })

  it('names no architecture, so a build is always for its own machine (config arch beats --arch)', () => {
    for (const os of ['win', 'mac', 'linux']) {
      expect(block(builder, os).join('\n')).not.toMatch(/\barch:|:(x64|arm64)\b/)
    }
  })

  it('ad-hoc signs the mac app without the hardened runtime', () => {
    const mac = block(builder, 'mac')
    expect(value(mac, 'identity')).toBe('-')
    expect(value(mac, 'hardenedRuntime')).toBe('false')
  })
})

describe('electron.vite.config.ts', () => {
  it('builds the onnxruntime worker as its own entry and keeps the native packages external', () => {
    expect(viteConfig).toMatch(
      /'onnx-worker': resolve\('src\/main\/engine\/inference\/ort-worker\.ts'\)/
    )
    expect(existsSync('src/main/engine/inference/ort-worker.ts')).toBe(true)
    const external = /const external = \[([^\]]*)\]/.exec(viteConfig)?.[1] ?? ''
    for (const name of ['@tensorflow/tfjs-node', 'sharp', 'onnxruntime-node']) {
      expect(external).toContain(`'${name}'`)
    }
  })
})

describe('release workflow', () => {
  /** The matrix entries, as key -> value maps. */
  const jobs = workflow
    .split(/\n\s+- name: /)
    .slice(1)
    .map((chunk) => {
      const lines = `name: ${chunk}`.split('\n')
      const end = lines.findIndex((l, i) => i > 0 && !/^\s*[a-z]+: /.test(l) && !/^\s*#/.test(l))
      const entry: Record<string, string> = {}
      for (const l of lines.slice(0, end < 0 ? undefined : end)) {
        const m = /^\s*([a-z]+): (.*)$/.exec(l)
        if (m) entry[m[1] as string] = m[2] as string
      }
      return entry
    })
    .filter((e) => e.runner)

  it('builds on the four runners: Windows, Intel macOS, Apple Silicon macOS, Linux', () => {
    expect(jobs.map((j) => [j.runner, j.os, j.arch])).toEqual([
      ['windows-latest', 'win', 'x64'],
      ['macos-15-intel', 'mac', 'x64'],
      ['macos-14', 'mac', 'arm64'],
      ['ubuntu-latest', 'linux', 'x64']
    ])
  })

  it('installs with scripts, builds, and packages each OS and architecture without publishing', () => {
    expect(workflow).toContain('npm ci --ignore-scripts=false')
    // Without it onnxruntime-node's install script adds the CUDA providers to the Linux installer.
    expect(workflow).toMatch(
      /npm ci --ignore-scripts=false\n\s+env:\n\s+ONNXRUNTIME_NODE_INSTALL: skip/
    )
    expect(workflow).toContain('npm run build:only')
    expect(workflow).toContain(
      'npx electron-builder --${{ matrix.os }} --${{ matrix.arch }} --publish never'
    )
    expect(workflow).toContain('test "$(node -p process.arch)" = \'${{ matrix.arch }}\'')
  })

  it('uploads every installer', () => {
    for (const ext of ['exe', 'dmg', 'AppImage', 'deb']) expect(workflow).toContain(`dist/*.${ext}`)
  })
})
