// Direct calls to TensorFlow's own kernels through tfjs-node's eager binding.
//
// Why: a training step written with tfjs ops dispatches several kernels where TensorFlow has one
// (relu's gradient is cast+step+mul; softmax cross-entropy is four ops plus their gradients). Each
// dispatch from JavaScript costs tens of microseconds, which dominates a 64-image batch of a small
// network. TensorFlow's fused kernels (ReluGrad, BiasAddGrad, SoftmaxCrossEntropyWithLogits) do the
// same arithmetic in one call each.
import type { Tensor } from '@tensorflow/tfjs'
import {
  acceptBfloat16Outputs,
  castOp,
  DT_BFLOAT16,
  DT_FLOAT,
  DT_INT32,
  type ComputeDtype
} from './precision'

/** An op attribute as tfjs-node's binding takes it. */
export interface OpAttr {
  name: string
  type: number
  value: unknown
}
/** The part of tfjs-node's backend that runs a TensorFlow kernel by name. */
export interface NativeBackend {
  binding: {
    TF_ATTR_BOOL: number
    TF_ATTR_STRING: number
    TF_ATTR_TYPE: number
    TF_ATTR_SHAPE: number
    TF_ATTR_INT: number
    TF_ATTR_FLOAT: number
  }
  executeSingleOutput(name: string, attrs: OpAttr[], inputs: Tensor[]): Tensor
  executeMultipleOutputs(name: string, attrs: OpAttr[], inputs: Tensor[], n: number): Tensor[]
}

/**
 * Typed wrappers around the native kernels used by the training steps. The layer kernels (matMul
 * to reshape) run in `computeDtype`; variables, Adam and the loss always in float32.
 */
export class RawOps {
  private readonly be: NativeBackend
  private readonly floatT: OpAttr
  private readonly computeT: OpAttr
  private readonly nhwc: OpAttr
  private readonly matMulAttrs: OpAttr[][]
  private readonly reshapeAttrs: OpAttr[]

  constructor(
    backend: unknown,
    readonly computeDtype: ComputeDtype = DT_FLOAT
  ) {
    this.be = backend as NativeBackend
    const b = this.be.binding
    if (computeDtype === DT_BFLOAT16) acceptBfloat16Outputs(backend)
    this.floatT = { name: 'T', type: b.TF_ATTR_TYPE, value: DT_FLOAT }
    this.computeT = { name: 'T', type: b.TF_ATTR_TYPE, value: computeDtype }
    this.nhwc = { name: 'data_format', type: b.TF_ATTR_STRING, value: 'NHWC' }
    // Attribute lists for the four transpose combinations, built once rather than per call.
    this.matMulAttrs = [0, 1, 2, 3].map((k) => [
      { name: 'transpose_a', type: b.TF_ATTR_BOOL, value: (k & 1) === 1 },
      { name: 'transpose_b', type: b.TF_ATTR_BOOL, value: (k & 2) === 2 },
      this.computeT
    ])
    this.reshapeAttrs = [this.computeT, { name: 'Tshape', type: b.TF_ATTR_TYPE, value: DT_INT32 }]
  }

  /** Whether layer kernels run in bfloat16 (inputs and weights are cast on the way in). */
  get mixed(): boolean {
    return this.computeDtype === DT_BFLOAT16
  }

  /** A float32 tensor in the compute dtype (itself when that is float32). */
  toCompute(x: Tensor): Tensor {
    return this.mixed ? castOp(this.be, x, DT_FLOAT, DT_BFLOAT16) : x
  }

  /** A compute-dtype tensor in float32 (itself when that is float32). */
  toFloat(x: Tensor): Tensor {
    return this.mixed ? castOp(this.be, x, DT_BFLOAT16, DT_FLOAT) : x
  }

  /**
   * TensorFlow's Reshape, typed with the compute dtype: tfjs's reshape would declare float32 for a
   * bfloat16 tensor and TensorFlow would refuse it. `shape`: an int32 tensor.
   */
  reshape(x: Tensor, shape: Tensor): Tensor {
    return this.be.executeSingleOutput('Reshape', this.reshapeAttrs, [x, shape])
  }

  /** Element-wise product of two compute-dtype tensors of one shape. */
  mul(a: Tensor, b: Tensor): Tensor {
    return this.be.executeSingleOutput('Mul', [this.computeT], [a, b])
  }

  /** a·b with optional transposes, one MatMul kernel. */
  matMul(a: Tensor, b: Tensor, transposeA = false, transposeB = false): Tensor {
    const attrs = this.matMulAttrs[(transposeA ? 1 : 0) | (transposeB ? 2 : 0)] as OpAttr[]
    return this.be.executeSingleOutput('MatMul', attrs, [a, b])
  }

  biasAdd(x: Tensor, bias: Tensor): Tensor {
    return this.be.executeSingleOutput('BiasAdd', [this.computeT, this.nhwc], [x, bias])
  }

  relu(x: Tensor): Tensor {
    return this.be.executeSingleOutput('Relu', [this.computeT], [x])
  }

  /** Gradient through relu given its output (TensorFlow's ReluGrad accepts output or input). */
  reluGrad(dy: Tensor, y: Tensor): Tensor {
    return this.be.executeSingleOutput('ReluGrad', [this.computeT], [dy, y])
  }

  /** Sum of dy over the batch: the bias gradient. */
  biasAddGrad(dy: Tensor): Tensor {
    return this.be.executeSingleOutput('BiasAddGrad', [this.computeT, this.nhwc], [dy])
  }

  /** A new resource variable (TensorFlow's, not tfjs's) holding a copy of `initial`. */
  createVariable(name: string, initial: Tensor): Tensor {
    const b = this.be.binding
    const handle = this.be.executeSingleOutput(
      'VarHandleOp',
      [
        { name: 'container', type: b.TF_ATTR_STRING, value: '' },
        { name: 'shared_name', type: b.TF_ATTR_STRING, value: name },
        { name: 'dtype', type: b.TF_ATTR_TYPE, value: DT_FLOAT },
        { name: 'shape', type: b.TF_ATTR_SHAPE, value: initial.shape }
      ],
      []
    )
    this.be.executeMultipleOutputs('AssignVariableOp', [this.dtypeFloat()], [handle, initial], 0)
    return handle
  }

  /** Replaces the variable's value with a copy of `value`. */
  assignVariable(handle: Tensor, value: Tensor): void {
    this.be.executeMultipleOutputs('AssignVariableOp', [this.dtypeFloat()], [handle, value], 0)
  }

  /** The variable's current value, as a new tensor. */
  readVariable(handle: Tensor): Tensor {
    return this.be.executeSingleOutput('ReadVariableOp', [this.dtypeFloat()], [handle])
  }

  /** Frees the variable's memory in TensorFlow (the handle tensor is disposed by the caller). */
  destroyVariable(handle: Tensor): void {
    const ignore = { name: 'ignore_lookup_error', type: this.be.binding.TF_ATTR_BOOL, value: true }
    this.be.executeMultipleOutputs('DestroyResourceOp', [ignore], [handle], 0)
  }

  /**
   * TensorFlow's fused Adam update, in place: one pass over the weights where the same update in
   * tfjs ops takes twelve (measured: 0.11 ms against 1.07 ms per step for the seed network).
   * Same arithmetic as Keras 3's Adam: lr_t = lr·√(1−β2^t)/(1−β1^t), m += (g−m)(1−β1),
   * v += (g²−v)(1−β2), w −= lr_t·m/(√v+ε).
   */
  applyAdam(
    w: Tensor,
    m: Tensor,
    v: Tensor,
    scalars: {
      beta1Power: Tensor
      beta2Power: Tensor
      lr: Tensor
      beta1: Tensor
      beta2: Tensor
      epsilon: Tensor
    },
    grad: Tensor
  ): void {
    const b = this.be.binding
    const { beta1Power, beta2Power, lr, beta1, beta2, epsilon } = scalars
    this.be.executeMultipleOutputs(
      'ResourceApplyAdam',
      [
        this.floatT,
        { name: 'use_locking', type: b.TF_ATTR_BOOL, value: false },
        { name: 'use_nesterov', type: b.TF_ATTR_BOOL, value: false }
      ],
      [w, m, v, beta1Power, beta2Power, lr, beta1, beta2, epsilon, grad],
      0
    )
  }

  private dtypeFloat(): OpAttr {
    return { name: 'dtype', type: this.be.binding.TF_ATTR_TYPE, value: DT_FLOAT }
  }

  /** Per-example cross-entropy of softmax(logits) against one-hot labels, and its gradient. */
  softmaxCrossEntropy(logits: Tensor, oneHot: Tensor): { loss: Tensor; backprop: Tensor } {
    const [loss, backprop] = this.be.executeMultipleOutputs(
      'SoftmaxCrossEntropyWithLogits',
      [this.floatT],
      [logits, oneHot],
      2
    )
    return { loss: loss as Tensor, backprop: backprop as Tensor }
  }
}
