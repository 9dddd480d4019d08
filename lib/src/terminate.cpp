// With SERVICEKIT_STATIC_RUNTIME, the program's default terminate handler:
// libstdc++'s message without libstdc++'s demangler.
//
// When an exception escapes (a thread's function throws, a noexcept function
// throws), std::terminate() calls the default handler, which in libstdc++ is
// __gnu_cxx::__verbose_terminate_handler: it prints the exception's type and
// what() to stderr and aborts. To print the type it demangles the name, and
// the demangler (__cxa_demangle) is 45 KiB, a twentieth of a
// SERVICEKIT_STATIC_RUNTIME program, linked in for a message that a healthy
// service never prints. This file defines the handler instead, so the linker
// takes it from libservicekit.a (servicekit_static_runtime() in
// cmake/servicekit_link.cmake names it with -u, so it is taken before
// libstdc++.a is searched) and never pulls in libstdc++'s, nor the demangler.
// The message is the same except that the type is printed as the compiler
// names it, mangled (St13runtime_error; `c++filt -t` demangles it), and
// tests/static/terminate.sh checks it. Builds on the shared libstdc++, and
// other standard libraries, keep their own handler: nothing here is compiled.
#include <version>  // __GLIBCXX__: the standard library is libstdc++

#if defined(SERVICEKIT_DEFINE_TERMINATE_HANDLER) && defined(__GLIBCXX__)

#include <cxxabi.h>

#include <cstdio>
#include <cstdlib>
#include <exception>
#include <typeinfo>

namespace {

void say(const char* text) noexcept { std::fputs(text, stderr); }

}  // namespace

namespace __gnu_cxx {

void __verbose_terminate_handler() {
    static bool terminating = false;  // a handler that throws comes back here
    if (terminating) {
        say("terminate called recursively\n");
        std::abort();
    }
    terminating = true;
    const std::type_info* type = abi::__cxa_current_exception_type();
    if (type == nullptr) {
        say("terminate called without an active exception\n");
        std::abort();
    }
    const char* name = type->name();
    if (*name == '*') ++name;  // GCC's mark for a type local to its translation unit
    say("terminate called after throwing an instance of '");
    say(name);
    say("'\n");
    try {
        throw;  // the exception that is being handled, to ask for its what()
    } catch (const std::exception& e) {
        say("  what():  ");
        say(e.what());
        say("\n");
    } catch (...) {
    }
    std::abort();
}

}  // namespace __gnu_cxx

#endif
