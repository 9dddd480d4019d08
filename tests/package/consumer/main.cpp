#include <servicekit/cli.hpp>

class worker : public servicekit::service {
public:
    void start(servicekit::context& ctx) override {   // return promptly: start threads
        ctx.log().info("starting with {} arguments", ctx.arguments().size());
    }
    void stop(servicekit::context& ctx) override {    // make them finish, then return
        ctx.log().info("bye");
    }
};

int main(int argc, char** argv) {
    servicekit::config cfg;
    cfg.name = "myd";
    cfg.description = "My daemon";
    worker svc;
    return servicekit::cli::cli_main(argc, argv, cfg, svc);
}
