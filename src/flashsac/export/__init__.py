"""Export: a checkpoint's policy as ONNX and TorchScript graphs in environment units, a deployment manifest, parity.

``graph`` folds the actor into the deployable module, ``formats`` writes and runs the two file formats, ``parity``
compares them with the torch policy, ``manifest`` records the robot contract, ``pipeline`` (``flashsac export``)
puts these together, and ``exported`` loads an exported file for ``flashsac eval``/``play``. See docs/deploy.md.
"""
