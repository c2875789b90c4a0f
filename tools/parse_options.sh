# Kaldi-style option parsing for recipe scripts. Source it after declaring the options:
#
#   stage=0          # first stage to run
#   stop_stage=100   # last stage to run
#   . tools/parse_options.sh || exit 1
#
# "--stop-stage 5" and "--stop_stage=5" both set $stop_stage. Options are the variables assigned at the
# start of a line above the line that sources this file; the comment after each is its help text.
# --help lists every option with its current default (and $help_message first, when set).
# An unknown option, or a non-boolean value for a boolean option, fails with the option's name.
# Arguments that are not options stay in "$@".

__po_script="${BASH_SOURCE[1]:-$0}"
__po_names=()
__po_helps=()
if [ -f "$__po_script" ]; then
  while IFS= read -r __po_line; do
    case "$__po_line" in
      *parse_options.sh*) break ;;
    esac
    if [[ "$__po_line" =~ ^([A-Za-z_][A-Za-z0-9_]*)=([^#]*)(#[[:space:]]*(.*))?$ ]]; then
      __po_names+=("${BASH_REMATCH[1]}")
      __po_helps+=("${BASH_REMATCH[4]}")
    fi
  done < "$__po_script"
fi

__po_known() {
  local n
  for n in "${__po_names[@]}"; do [ "$n" = "$1" ] && return 0; done
  return 1
}

__po_usage() {
  [ -n "${help_message:-}" ] && printf '%s\n\n' "$help_message"
  echo "Usage: $(basename "$__po_script") [options]"
  echo "Options (default in brackets):"
  local i n
  for i in "${!__po_names[@]}"; do
    n="${__po_names[$i]}"
    printf '  --%-22s %s [%s]\n' "${n//_/-}" "${__po_helps[$i]}" "${!n}"
  done
}

__po_rest=()
while [ $# -gt 0 ]; do
  case "$1" in
    --help|-h)
      __po_usage
      exit 0 ;;
    --*=*)
      __po_name="${1%%=*}"; __po_value="${1#*=}"; shift ;;
    --*)
      __po_name="$1"
      if [ $# -lt 2 ]; then echo "$(basename "$__po_script"): option $1 needs a value" >&2; exit 1; fi
      __po_value="$2"; shift 2 ;;
    *)
      __po_rest+=("$1"); shift; continue ;;
  esac
  __po_var="${__po_name#--}"; __po_var="${__po_var//-/_}"
  if ! __po_known "$__po_var"; then
    echo "$(basename "$__po_script"): unknown option ${__po_name} (see --help)" >&2
    exit 1
  fi
  __po_old="${!__po_var}"
  if [ "$__po_old" = "true" ] || [ "$__po_old" = "false" ]; then
    if [ "$__po_value" != "true" ] && [ "$__po_value" != "false" ]; then
      echo "$(basename "$__po_script"): option ${__po_name} takes true or false, got '${__po_value}'" >&2
      exit 1
    fi
  fi
  printf -v "$__po_var" '%s' "$__po_value"
done
set -- "${__po_rest[@]+"${__po_rest[@]}"}"
unset __po_line __po_name __po_value __po_var __po_old __po_rest __po_script
true
