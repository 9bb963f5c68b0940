"""Runs ../shared/bench/keras_reference.py under a Keras dtype policy, for the mixed-precision comparison.

usage: python keras-policy.py POLICY /path/to/keras_reference.py [its arguments]
POLICY: float32 or mixed_bfloat16 (layers compute in bfloat16, variables stay float32). The reference
script itself is left as it is, so both runs train exactly the network it defines.
"""
import runpy
import sys

import keras

policy, script = sys.argv[1], sys.argv[2]
keras.mixed_precision.set_global_policy(policy)
sys.argv = [script] + sys.argv[3:]
runpy.run_path(script, run_name="__main__")
