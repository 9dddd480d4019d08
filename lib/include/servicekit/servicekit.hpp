#pragma once
/// @file
/// All of servicekit's core API in one include (cli.hpp is separate: it needs servicekit::cli).

#include <servicekit/config.hpp>
#include <servicekit/controller.hpp>
#include <servicekit/error.hpp>
#include <servicekit/log.hpp>
#include <servicekit/run.hpp>
#include <servicekit/service.hpp>
#include <servicekit/status.hpp>
#include <servicekit/version.hpp>
