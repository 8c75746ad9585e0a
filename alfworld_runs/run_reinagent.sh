#!/usr/bin/env bash
# ALFWorld trials with the original Reflexion script's flags, run by the kit's engine:
#
#   alfworld_runs/run_reinagent.sh                                  # 12 games x 3 trials, reinagent, embedded model
#   alfworld_runs/run_reinagent.sh --num_trials 10 --num_envs 134 --run_name reflexion_run_logs --use_memory \
#       --model openai:gpt-4o-mini                                   # the original's size (ALFWORLD_DATA set)
#   alfworld_runs/run_reinagent.sh --use_memory false               # the control arm: strategy none
#   alfworld_runs/run_reinagent.sh --is_resume --resume_dir alfworld_runs/root/react/reinagent/NAME \
#       --start_trial_num 2 --num_trials 5                           # continue a run to 5 trials
#   alfworld_runs/run_reinagent.sh ... -- --out /tmp/runs --verbose  # after --: passed to `python -m agents run`
#
# How the flags map (python -m agents run --task alfworld ...):
#   --num_trials N       --trials N: trials per game (the original counted them from 0; here from 1)
#   --num_envs N         --games N: N games of the suite (it has 12) or of $ALFWORLD_DATA's split,
#                        spread over the six task types
#   --run_name NAME      --run-name NAME: the folder <out>/react/<strategy>/NAME
#   --use_memory [B]     B true (the flag alone) -> --strategy reinagent; false -> --strategy none
#   --model SPEC         --llm SPEC: local (default), local:<file.gguf>, openai:<model>,
#                        openai-compatible:<model>; a bare OpenAI name (gpt-4o) means openai:<name>
#   --is_resume, --resume_dir DIR
#                        the kit resumes any run folder by running the same command again: DIR is
#                        that folder (<out>/react/<strategy>/<name>), which gives --out and --run-name
#   --start_trial_num K  with --is_resume: trials 1..K (the original's 0..K-1) must be recorded in DIR;
#                        the run continues from there up to --num_trials (recorded trials are never redone)
# The rest is the logged runs' protocol by default (recorded in each run's manifest): at most 50 commands
# (the original's later code: 49, `-- --max-steps 49`), stopped at the same command twice in a row
# (`-- --stop-on-cycles` also stops A-B-A-B cycles), 100-token commands, the last 3 reflections shown,
# 256-token reflections that read the game's last 3 plans.
# Set REINAGENT_ECHO=1 to print the command instead of running it.
set -euo pipefail

usage() {  # the comment block at the top of this file
  awk 'NR > 1 && !/^#/ { exit } NR > 1 { sub(/^# ?/, ""); print }' "$0"
}

fail() {
  echo "run_reinagent.sh: $1" >&2
  echo "run_reinagent.sh --help lists the options" >&2
  exit 2
}

need_value() {  # the option $1 needs a value in $2
  if [[ $# -lt 2 || -z "$2" || "$2" == --* ]]; then fail "option $1 needs a value"; fi
}

positive_int() {  # option name, value
  [[ "$2" =~ ^[1-9][0-9]*$ ]] || fail "$1 must be a positive integer, got '$2'"
}

num_trials=3
num_envs=12
run_name=""
use_memory=true
model=local
is_resume=false
resume_dir=""
start_trial_num=0
passthrough=()

while [[ $# -gt 0 ]]; do
  case "$1" in
    -h|--help) usage; exit 0 ;;
    --num_trials) need_value "$@"; positive_int "$1" "$2"; num_trials=$2; shift 2 ;;
    --num_envs) need_value "$@"; positive_int "$1" "$2"; num_envs=$2; shift 2 ;;
    --run_name) need_value "$@"; run_name=$2; shift 2 ;;
    --model) need_value "$@"; model=$2; shift 2 ;;
    --resume_dir) need_value "$@"; resume_dir=$2; shift 2 ;;
    --start_trial_num)
      need_value "$@"
      [[ "$2" =~ ^[0-9]+$ ]] || fail "--start_trial_num must be a whole number, got '$2'"
      start_trial_num=$2; shift 2 ;;
    --is_resume) is_resume=true; shift ;;
    --use_memory)
      if [[ $# -ge 2 && "$2" != --* ]]; then
        case "${2,,}" in
          true|1|yes) use_memory=true ;;
          false|0|no) use_memory=false ;;
          *) fail "--use_memory takes true or false (or nothing: true), got '$2'" ;;
        esac
        shift 2
      else
        use_memory=true; shift
      fi ;;
    --) shift; passthrough=("$@"); break ;;
    *) fail "unknown option '$1' (options: --num_trials --num_envs --run_name --use_memory --is_resume --resume_dir --start_trial_num --model; after -- any option of python -m agents run)" ;;
  esac
done

strategy=$([[ $use_memory == true ]] && echo reinagent || echo none)
folder_strategy=$([[ $use_memory == true ]] && echo reinagent || echo base)  # the folder's name for it

case "$model" in
  local|local:*|openai:*|openai-compatible:*) llm=$model ;;
  gpt-*|o1*|o3*|o4*|text-davinci-*) llm="openai:$model" ;;
  *) fail "unknown --model '$model' (use local, local:<file.gguf>, openai:<model>, openai-compatible:<model>, or an OpenAI model name)" ;;
esac

out_args=()
if [[ $is_resume == true ]]; then
  [[ -n "$resume_dir" ]] || fail "--is_resume needs --resume_dir: the run folder to continue (<out>/react/<strategy>/<name>)"
  [[ -d "$resume_dir" && -f "$resume_dir/manifest.json" ]] || fail "--resume_dir $resume_dir is not a run folder (no manifest.json there)"
  resume_dir=$(cd "$resume_dir" && pwd)
  name_from_dir=$(basename "$resume_dir")
  strategy_dir=$(basename "$(dirname "$resume_dir")")
  [[ "$strategy_dir" == "$folder_strategy" ]] || fail "--resume_dir is a '$strategy_dir' run but --use_memory $use_memory runs '$folder_strategy': give the matching --use_memory"
  [[ -z "$run_name" || "$run_name" == "$name_from_dir" ]] || fail "--run_name $run_name differs from the resumed folder's name $name_from_dir"
  run_name=$name_from_dir
  out_args=(--out "$(dirname "$(dirname "$(dirname "$resume_dir")")")")
  if [[ $start_trial_num -gt 0 ]]; then
    # The original resumed from env_results_trial_{K-1}.json: trials 0..K-1 done, i.e. here 1..K.
    python - "$resume_dir" "$start_trial_num" <<'PY' || exit 2
import json, sys
from pathlib import Path
folder, k = Path(sys.argv[1]), int(sys.argv[2])
lines = (folder / "attempts.jsonl").read_text().splitlines() if (folder / "attempts.jsonl").exists() else []
trials = {json.loads(line).get("trial") for line in lines if line.strip()}
last = max(trials, default=0)
if last < k:
    sys.exit(f"run_reinagent.sh: --start_trial_num {k} needs trials 1..{k} recorded in {folder}; "
             f"it has {last}: run without --start_trial_num to continue from where it stopped")
PY
  fi
else
  [[ -z "$resume_dir" ]] || fail "--resume_dir needs --is_resume"
  [[ $start_trial_num -eq 0 ]] || fail "--start_trial_num needs --is_resume and --resume_dir (the run to continue)"
fi

command=(python -m agents run --task alfworld --agent react --strategy "$strategy"
         --games "$num_envs" --trials "$num_trials" --llm "$llm")
[[ -n "$run_name" ]] && command+=(--run-name "$run_name")
command+=(${out_args[@]+"${out_args[@]}"} ${passthrough[@]+"${passthrough[@]}"})

cd "$(dirname "$0")/.."
if [[ "${REINAGENT_ECHO:-}" == 1 ]]; then
  printf '%q ' "${command[@]}"; echo
  exit 0
fi
exec "${command[@]}"
