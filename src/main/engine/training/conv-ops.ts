// TensorFlow kernels for convolutional layers, called directly through tfjs-node's eager binding
// (see raw-ops.ts for why). Where the TensorFlow build has oneDNN (x86-64 Linux/Windows builds do),
// three of its "native layout" kernels replace slower or split ones, measured per 64-image batch of
// the conv32-pool-conv64-pool network on this machine:
//  - _MklNativeMaxPool + _MklNativeMaxPoolGrad pass the argmax "workspace" from the forward pass to
//    the backward pass; the standard MaxPoolGrad recomputes it: 1.3 ms for both against 4.4 ms.
//  - _MklNativeConv2DWithBias adds the bias inside the convolution (one pass over the output less).
//  - _MklNativeConv2DBackpropFilterWithBias computes the bias gradient in the same pass.
// Other builds (macOS arm64) lack these kernels; a probe at start picks the standard ones there.
import type { Tensor } from '@tensorflow/tfjs'
import {
  acceptBfloat16Outputs,
  castOp,
  DT_BFLOAT16,
  DT_FLOAT,
  type ComputeDtype
} from './precision'
import type { NativeBackend, OpAttr } from './raw-ops'

type Tf = typeof import('@tensorflow/tfjs')

export type Padding = 'SAME' | 'VALID'

/** Output of a max pooling: the pooled tensor, and oneDNN's argmax workspace when it made one. */
export interface Pooled {
  y: Tensor
  workspace?: Tensor
}

export class ConvOps {
  private readonly be: NativeBackend
  /** Element type of the layer kernels (bfloat16 in mixed precision, see precision.ts). */
  private readonly computeT: OpAttr
  private readonly convAttrs: Record<Padding, OpAttr[]>
  private readonly mklConvAttrs: Record<Padding, OpAttr[]>
  private readonly poolAttrs: OpAttr[]
  private readonly mklPoolAttrs: OpAttr[]
  /** Whether the oneDNN kernels are available (decided by a probe on first use). */
  readonly oneDnn: boolean

  constructor(
    private readonly tf: Tf,
    backend: unknown,
    readonly computeDtype: ComputeDtype = DT_FLOAT
  ) {
    this.be = backend as NativeBackend
    const b = this.be.binding
    this.computeT = { name: 'T', type: b.TF_ATTR_TYPE, value: computeDtype }
    if (computeDtype === DT_BFLOAT16) acceptBfloat16Outputs(backend)
    const nhwc = { name: 'data_format', type: b.TF_ATTR_STRING, value: 'NHWC' }
    const ones = [1, 1, 1, 1]
    // oneDNN's native-layout kernels are registered under a label that the op must name.
    const mklLabel = { name: '_kernel', type: b.TF_ATTR_STRING, value: 'MklNameChangeOp' }
    const conv = (padding: Padding): OpAttr[] => [
      this.computeT,
      { name: 'strides', type: b.TF_ATTR_INT, value: ones },
      { name: 'padding', type: b.TF_ATTR_STRING, value: padding },
      nhwc,
      { name: 'use_cudnn_on_gpu', type: b.TF_ATTR_BOOL, value: true },
      { name: 'dilations', type: b.TF_ATTR_INT, value: ones }
    ]
    this.convAttrs = { SAME: conv('SAME'), VALID: conv('VALID') }
    this.mklConvAttrs = { SAME: [...conv('SAME'), mklLabel], VALID: [...conv('VALID'), mklLabel] }
    this.poolAttrs = [
      this.computeT,
      { name: 'ksize', type: b.TF_ATTR_INT, value: [1, 2, 2, 1] },
      { name: 'strides', type: b.TF_ATTR_INT, value: [1, 2, 2, 1] },
      { name: 'padding', type: b.TF_ATTR_STRING, value: 'VALID' },
      nhwc
    ]
    this.mklPoolAttrs = [
      ...this.poolAttrs,
      { name: 'workspace_enabled', type: b.TF_ATTR_BOOL, value: true },
      mklLabel
    ]
    this.oneDnn = process.env.FASHION_STUDIO_NO_ONEDNN ? false : this.probeOneDnn()
  }

  /** Convolution (stride 1) plus bias. */
  conv(x: Tensor, filter: Tensor, bias: Tensor | null, padding: Padding): Tensor {
    if (bias && this.oneDnn) {
      return this.run('_MklNativeConv2DWithBias', this.mklConvAttrs[padding], [x, filter, bias])
    }
    const y = this.run('Conv2D', this.convAttrs[padding], [x, filter])
    if (!bias) return y
    const out = this.run('BiasAdd', [this.computeT, this.nhwcAttr()], [y, bias])
    y.dispose()
    return out
  }

  /** Gradients of the filter (and bias) of a convolution, given its input and output gradient. */
  convFilterGrad(
    x: Tensor,
    filterShape: number[],
    dy: Tensor,
    withBias: boolean,
    padding: Padding
  ): { filter: Tensor; bias?: Tensor } {
    const sizes = this.tf.tensor1d(filterShape, 'int32')
    try {
      if (withBias && this.oneDnn) {
        const [filter, bias] = this.be.executeMultipleOutputs(
          '_MklNativeConv2DBackpropFilterWithBias',
          this.mklConvAttrs[padding],
          [x, sizes, dy],
          2
        )
        return { filter: filter!, bias: bias! }
      }
      const filter = this.run('Conv2DBackpropFilter', this.convAttrs[padding], [x, sizes, dy])
      if (!withBias) return { filter }
      return { filter, bias: this.run('BiasAddGrad', [this.computeT, this.nhwcAttr()], [dy]) }
    } finally {
      sizes.dispose()
    }
  }

  /** Gradient of a convolution's input. */
  convInputGrad(inputShape: number[], filter: Tensor, dy: Tensor, padding: Padding): Tensor {
    const sizes = this.tf.tensor1d(inputShape, 'int32')
    try {
      return this.run('Conv2DBackpropInput', this.convAttrs[padding], [sizes, filter, dy])
    } finally {
      sizes.dispose()
    }
  }

  /** 2x2 max pooling, stride 2 (odd edges dropped, as Keras's 'valid'). */
  maxPool(x: Tensor): Pooled {
    if (this.oneDnn) {
      const [y, workspace] = this.be.executeMultipleOutputs(
        '_MklNativeMaxPool',
        this.mklPoolAttrs,
        [x],
        2
      )
      return { y: y!, workspace: workspace! }
    }
    return { y: this.run('MaxPool', this.poolAttrs, [x]) }
  }

  maxPoolGrad(x: Tensor, pooled: Pooled, dy: Tensor): Tensor {
    if (pooled.workspace) {
      return this.run('_MklNativeMaxPoolGrad', this.mklPoolAttrs, [
        x,
        pooled.y,
        dy,
        pooled.workspace
      ])
    }
    return this.run('MaxPoolGrad', this.poolAttrs, [x, pooled.y, dy])
  }

  /**
   * Batch normalization of a 4-D NHWC tensor over N, H, W. In training it normalises with the
   * batch's statistics and returns the moving averages updated with `momentum` (Keras's 0.99) in
   * the same kernel call; in inference it uses the moving averages.
   */
  batchNorm(
    x: Tensor,
    p: { gamma: Tensor; beta: Tensor; mean: Tensor; variance: Tensor },
    training: boolean,
    momentum = 0.99,
    epsilon = 1e-3
  ): { y: Tensor; mean?: Tensor; variance?: Tensor; reserve?: Tensor[] } {
    const b = this.be.binding
    const outs = this.be.executeMultipleOutputs(
      'FusedBatchNormV3',
      [
        this.computeT,
        { name: 'U', type: b.TF_ATTR_TYPE, value: DT_FLOAT },
        { name: 'epsilon', type: b.TF_ATTR_FLOAT, value: epsilon },
        {
          name: 'exponential_avg_factor',
          type: b.TF_ATTR_FLOAT,
          value: training ? 1 - momentum : 1
        },
        this.nhwcAttr(),
        { name: 'is_training', type: b.TF_ATTR_BOOL, value: training }
      ],
      [x, p.gamma, p.beta, p.mean, p.variance],
      6
    )
    const [y, mean, variance, r1, r2, r3] = outs as [Tensor, Tensor, Tensor, Tensor, Tensor, Tensor]
    if (!training) {
      for (const t of [mean, variance, r1, r2, r3]) t.dispose()
      return { y }
    }
    return { y, mean, variance, reserve: [r1, r2, r3] }
  }

  /** Gradients of a training-mode batch normalization: input, gamma, beta. */
  batchNormGrad(
    dy: Tensor,
    x: Tensor,
    gamma: Tensor,
    reserve: Tensor[],
    epsilon = 1e-3
  ): { dx: Tensor; dGamma: Tensor; dBeta: Tensor } {
    const b = this.be.binding
    const outs = this.be.executeMultipleOutputs(
      'FusedBatchNormGradV3',
      [
        this.computeT,
        { name: 'U', type: b.TF_ATTR_TYPE, value: DT_FLOAT },
        { name: 'epsilon', type: b.TF_ATTR_FLOAT, value: epsilon },
        this.nhwcAttr(),
        { name: 'is_training', type: b.TF_ATTR_BOOL, value: true }
      ],
      [dy, x, gamma, ...reserve],
      5
    )
    const [dx, dGamma, dBeta, r4, r5] = outs as [Tensor, Tensor, Tensor, Tensor, Tensor]
    r4.dispose()
    r5.dispose()
    return { dx, dGamma, dBeta }
  }

  private run(name: string, attrs: OpAttr[], inputs: Tensor[]): Tensor {
    return this.be.executeSingleOutput(name, attrs, inputs)
  }

  private nhwcAttr(): OpAttr {
    return { name: 'data_format', type: this.be.binding.TF_ATTR_STRING, value: 'NHWC' }
  }

  /** Runs each oneDNN kernel once on a tiny input; any failure means the standard kernels. */
  private probeOneDnn(): boolean {
    const tf = this.tf
    try {
      tf.tidy(() => {
        const x = this.probeInput(tf.ones([1, 4, 4, 1]))
        const w = this.probeInput(tf.ones([3, 3, 1, 1]))
        const bias = this.probeInput(tf.zeros([1]))
        const y = this.run('_MklNativeConv2DWithBias', this.mklConvAttrs.SAME, [x, w, bias])
        const [p, ws] = this.be.executeMultipleOutputs(
          '_MklNativeMaxPool',
          this.mklPoolAttrs,
          [y],
          2
        )
        const dp = this.probeInput(tf.ones(p!.shape))
        this.run('_MklNativeMaxPoolGrad', this.mklPoolAttrs, [y, p!, dp, ws!])
        this.be.executeMultipleOutputs(
          '_MklNativeConv2DBackpropFilterWithBias',
          this.mklConvAttrs.SAME,
          [x, tf.tensor1d([3, 3, 1, 1], 'int32'), y],
          2
        )
      })
      return true
    } catch {
      return false
    }
  }

  private probeInput(x: Tensor): Tensor {
    return this.computeDtype === DT_BFLOAT16 ? castOp(this.be, x, DT_FLOAT, DT_BFLOAT16) : x
  }
}
