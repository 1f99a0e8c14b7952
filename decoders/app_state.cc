#include "decoders/app_state.h"

namespace tapwatch::decoders {

void UpdateAppState(const DecodedPacket&, bool, const AppConfig&, AppState&) noexcept {}

}  // namespace tapwatch::decoders
