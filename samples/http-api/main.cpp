// A service hosting a small HTTP API with cpp-httplib:
//   GET /health   200 "ok" while the service runs
//   GET /status   JSON: name, version, uptime, requests served
// stop() stops the server: it stops accepting, lets the requests in flight
// finish, and returns when the listening thread has ended.
//
//   ./http-api run -- --port 8080 [--bind 127.0.0.1]
//   sudo ./http-api install -- --port 8080
#include <servicekit/cli.hpp>
#include <servicekit/version.hpp>

#include <fmt/format.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>

namespace {

struct options {
    std::string bind = "127.0.0.1";
    int port = 8080;  // 0: any free port (the log says which)
};

options parse(const std::vector<std::string>& args) {
    options o;
    for (std::size_t i = 0; i < args.size(); ++i) {
        const bool has_value = i + 1 < args.size();
        if (args[i] == "--port" && has_value) {
            const std::string& v = args[++i];
            std::size_t used = 0;
            int port = -1;
            try { port = std::stoi(v, &used); } catch (const std::exception&) {}
            if (used != v.size() || port < 0 || port > 65535)
                throw std::invalid_argument(fmt::format("--port '{}' is not a port number (0 to 65535)", v));
            o.port = port;
        } else if (args[i] == "--bind" && has_value) {
            o.bind = args[++i];
        } else {
            throw std::invalid_argument(fmt::format("unknown argument '{}' (use --port N, --bind ADDRESS)", args[i]));
        }
    }
    return o;
}

class http_api : public servicekit::service {
public:
    void start(servicekit::context& ctx) override {
        const options opt = parse(ctx.arguments());  // throws: run() logs it and exits 1
        started_ = std::chrono::steady_clock::now();

        server_.set_pre_routing_handler([this](const httplib::Request&, httplib::Response&) {
            ++requests_;
            return httplib::Server::HandlerResponse::Unhandled;
        });
        server_.Get("/health", [](const httplib::Request&, httplib::Response& res) {
            res.set_content("ok\n", "text/plain");
        });
        server_.Get("/status", [this, &ctx](const httplib::Request&, httplib::Response& res) {
            const auto uptime = std::chrono::duration_cast<std::chrono::seconds>(
                std::chrono::steady_clock::now() - started_);
            // The name is validated to [A-Za-z0-9._-]: it needs no JSON escaping.
            res.set_content(fmt::format(R"({{"service":"{}","version":"{}","uptime_seconds":{},"requests":{}}})",
                                        ctx.cfg().name, SERVICEKIT_VERSION, uptime.count(), requests_.load()) + "\n",
                            "application/json");
        });
        server_.set_logger([&ctx](const httplib::Request& req, const httplib::Response& res) {
            ctx.log().debug("{} {} -> {}", req.method, req.path, res.status);
        });

        int port = opt.port;
        if (port == 0) port = server_.bind_to_any_port(opt.bind);
        else if (!server_.bind_to_port(opt.bind, port)) port = -1;
        if (port <= 0) throw std::runtime_error(fmt::format("cannot listen on {}:{}", opt.bind, opt.port));

        listener_ = std::thread([this] { server_.listen_after_bind(); });
        // stop() is a no-op until the listening loop runs, so wait for it:
        // the service is ready when it serves.
        const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
        while (!server_.is_running()) {
            if (std::chrono::steady_clock::now() > deadline) {
                listener_.detach();
                throw std::runtime_error("the HTTP server did not start within 10 s");
            }
            std::this_thread::sleep_for(std::chrono::milliseconds(5));
        }
        ctx.log().info("listening on http://{}:{}", opt.bind, port);
        ctx.set_status(fmt::format("listening on {}:{}", opt.bind, port));
    }

    void stop(servicekit::context& ctx) override {
        server_.stop();     // closes the listening socket; requests in flight finish
        listener_.join();
        ctx.log().info("HTTP server stopped after {} requests", requests_.load());
    }

private:
    httplib::Server server_;
    std::thread listener_;
    std::atomic<long long> requests_{0};
    std::chrono::steady_clock::time_point started_;
};

}  // namespace

int main(int argc, char** argv) {
    servicekit::config cfg;
    cfg.name = "http-api";
    cfg.description = "servicekit's http-api sample: /health and /status over HTTP";
    http_api svc;
    return servicekit::cli::cli_main(argc, argv, cfg, svc);
}
