/** Why a model cannot be exported: names the model file, the layer or the output at fault. */
export class ExportError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'ExportError'
  }
}
