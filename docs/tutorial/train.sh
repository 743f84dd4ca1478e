# 1. Prove the config in RETURNN: construct it, run it, train 3 steps, save and restore a
#    checkpoint, and compare the TF variable names with the parameter names.
rc-serialize build tagger:build -o tutorial.config --check --train-steps 3

# 2. Train with RETURNN's own entry point: --synthetic-training adds one short epoch on
#    random data to the config (a real setup adds its dataset and optimizer instead).
rc-serialize build tagger:build -o train.config --synthetic-training
python -m returnn train.config

# 3. The checkpoint RETURNN wrote holds the model's parameter names.
python check_checkpoint.py train.config.model/model.001
