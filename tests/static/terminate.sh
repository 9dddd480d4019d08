#!/bin/sh
# terminate.sh PROBE PROGRAM...: a SERVICEKIT_STATIC_RUNTIME program ends an
# escaped exception with servicekit's terminate handler (lib/src/terminate.cpp):
# libstdc++'s message, the type mangled, then abort(); and neither PROBE nor
# any PROGRAM has libstdc++'s demangler linked in.
set -u
probe=$1
shift
status=0
fail() { echo "terminate.sh: $*" >&2; status=1; }

# expect HOW EXPECTED-STDERR: PROBE HOW must abort (SIGABRT: 128 + 6 from the
# shell) and print exactly EXPECTED-STDERR.
expect() {
    out=$("$probe" "$1" 2>&1 >/dev/null)
    code=$?
    [ "$code" -eq 134 ] || fail "'$probe $1' exited with $code, not 134 (SIGABRT)"
    [ "$out" = "$2" ] || fail "'$probe $1' printed:
$out
instead of:
$2"
}
# sh's $(...) keeps the shell's own "Aborted" message out: it is the parent's.
expect std "terminate called after throwing an instance of 'St13runtime_error'
  what():  out of cheese"
expect other "terminate called after throwing an instance of 'N12_GLOBAL__N_119not_a_std_exceptionE'"
expect none "terminate called without an active exception"

command -v nm >/dev/null || { echo "terminate.sh: nm (binutils) is missing" >&2; exit 1; }
for program in "$probe" "$@"; do
    symbols=$(nm "$program" 2>/dev/null) || { fail "nm cannot read $program"; continue; }
    [ -n "$symbols" ] || { fail "$program has no symbol table (stripped?): cannot check it"; continue; }
    if printf '%s\n' "$symbols" | grep -q ' __cxa_demangle$'; then
        fail "$program has libstdc++'s demangler linked in: its terminate handler is libstdc++'s, not lib/src/terminate.cpp's (is -u __gnu_cxx::__verbose_terminate_handler among its link options?)"
    fi
done
[ $status -ne 0 ] || echo "terminate.sh: servicekit's terminate handler in $probe $*; no demangler"
exit $status
