#pragma once
#include <string>

namespace azsql::app {

/// Sends all logs to stderr (stdout belongs to the stdio transport). `format` is "text" or
/// "json" (one JSON object per line, with escaped messages).
void setup_logging(const std::string& level, const std::string& format);

}  // namespace azsql::app
