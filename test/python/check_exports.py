"""Loads exported models with the real consumers and writes their predictions for the test images.

Called by test/integration/export.test.ts with the Keras virtualenv's python (npm run setup makes it):

    python check_exports.py JOB.json

JOB.json: {"images": raw uint8 file (count x 784), "count": N, "out": folder,
           "models": [{"id": ..., "keras": path.keras, "onnx": path.onnx}]}

For each model: Keras 3 loads the .keras file and predicts; Keras exports a TensorFlow SavedModel
(the format TensorFlow Serving serves) whose serving signature is called; onnx.checker checks the
.onnx file and onnxruntime runs it. Inputs are prepared from the preprocessing contract stored in
each file (scale, offset, shape), not from knowledge of our models. Probabilities are written as
float32 files into "out"; the comparison with our own predictions is the test's job. The last line
of stdout is one JSON object describing what was found.
"""

import json
import os
import sys
import tempfile
import zipfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402


def prepare(images, contract):
    """The model input, from the contract: x = pixel * scale + offset, in the declared shape."""
    spec = contract["input"]
    x = images.astype(np.float32) * np.float32(spec["scale"]) + np.float32(spec["offset"])
    return x.reshape([-1] + spec["shape"][1:])


def save(out, name, probabilities):
    path = os.path.join(out, name)
    np.asarray(probabilities, dtype=np.float32).tofile(path)
    return path


def check_keras(model_id, path, images, out):
    import keras
    import tensorflow as tf

    with zipfile.ZipFile(path) as z:
        contract = json.loads(z.read("metadata.json"))["fashion_studio"]
    x = prepare(images, contract)
    model = keras.models.load_model(path)
    keras_probs = model.predict(x, batch_size=2000, verbose=0)
    # The path to TensorFlow Serving: a SavedModel with a serving signature.
    with tempfile.TemporaryDirectory() as tmp:
        saved = os.path.join(tmp, "savedmodel")
        model.export(saved, format="tf_saved_model", verbose=False)
        loaded = tf.saved_model.load(saved)
        signature = loaded.signatures["serving_default"]
        input_name = next(iter(signature.structured_input_signature[1]))
        outputs = signature(**{input_name: tf.constant(x)})
        serving_probs = next(iter(outputs.values())).numpy()
    return {
        "contract": contract,
        "layers": [layer.__class__.__name__ for layer in model.layers],
        "keras_input_shape": list(model.input_shape),
        "serving_input": input_name,
        "keras": save(out, f"{model_id}.keras.bin", keras_probs),
        "savedmodel": save(out, f"{model_id}.savedmodel.bin", serving_probs),
    }


def check_onnx(model_id, path, images, out):
    import onnx
    import onnxruntime as ort

    model = onnx.load(path)
    onnx.checker.check_model(model, full_check=True)
    metadata = {p.key: p.value for p in model.metadata_props}
    contract = json.loads(metadata["fashion_studio.contract"])
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    (input_meta,) = session.get_inputs()
    probabilities = session.run(None, {input_meta.name: prepare(images, contract)})[0]
    return {
        "checker": "ok",
        "ir_version": model.ir_version,
        "opset": {o.domain or "ai.onnx": o.version for o in model.opset_import},
        "metadata": metadata,
        "input": {"name": input_meta.name, "shape": input_meta.shape, "doc": model.graph.input[0].doc_string},
        "output": session.get_outputs()[0].name,
        "onnxruntime": save(out, f"{model_id}.onnxruntime.bin", probabilities),
    }


def main():
    with open(sys.argv[1]) as f:
        job = json.load(f)
    images = np.fromfile(job["images"], dtype=np.uint8).reshape(job["count"], 784)
    report = {"models": {}}
    for m in job["models"]:
        entry = {}
        if m.get("keras"):
            entry["keras"] = check_keras(m["id"], m["keras"], images, job["out"])
        if m.get("onnx"):
            entry["onnx"] = check_onnx(m["id"], m["onnx"], images, job["out"])
        report["models"][m["id"]] = entry
    import keras
    import onnx
    import onnxruntime
    import tensorflow as tf

    report["versions"] = {
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "onnx": onnx.__version__,
        "onnxruntime": onnxruntime.__version__,
    }
    print(json.dumps(report))


if __name__ == "__main__":
    main()
