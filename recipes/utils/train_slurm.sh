#!/usr/bin/env bash
#SBATCH --job-name=mgdm_train
#SBATCH --requeue
#SBATCH --open-mode=append
# Data-parallel training on Slurm: one torchrun per node (srun), PROCS processes per node (one per GPU, or CPU
# processes over gloo), every process a rank of one run. Preemption-safe: the job is requeued (--requeue) and
# the trainer resumes from OUT_DIR/checkpoint.pt, ending with the weights of an uninterrupted run on the same
# number of processes (checkpoints every --checkpoint-every steps; what came after the last one is redone).
#
# Usage: sbatch [sbatch options] recipes/utils/train_slurm.sh PROCS mgdm train-prior|train-separator DATA OUT [options]
#   e.g. 2 nodes of 4 GPUs, 8 processes, a global batch of 64 (8 examples per process):
#   sbatch --nodes 2 --ntasks-per-node 1 --gpus-per-node 4 --cpus-per-task 16 --time 24:00:00 \
#     recipes/utils/train_slurm.sh 4 mgdm train-prior data/train exp/prior --batch-size 64 --workers 4
# The log (slurm-<job>.out, appended across restarts) starts each attempt with a line naming its restart count.
set -euo pipefail

if [ $# -lt 2 ] || [ -z "${SLURM_JOB_ID:-}" ]; then
  echo "usage: sbatch [options] $0 PROCS_PER_NODE COMMAND... (see the header of $0)" >&2
  exit 1
fi
procs_per_node=$1
shift
head=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n 1)
port=$((29500 + SLURM_JOB_ID % 20000))
echo "# $(date -u +%FT%TZ) Slurm job $SLURM_JOB_ID, restart ${SLURM_RESTART_COUNT:-0}, nodes $SLURM_JOB_NODELIST:" \
  "$procs_per_node process(es) per node: $*"
# One task per node; torchrun starts that node's processes and meets the other nodes' at the first node.
srun --ntasks-per-node=1 --kill-on-bad-exit=1 torchrun --nnodes="$SLURM_JOB_NUM_NODES" \
  --nproc_per_node="$procs_per_node" --rdzv_id="$SLURM_JOB_ID" --rdzv_backend=c10d \
  --rdzv_endpoint="$head:$port" --no-python "$@"
