// polytag::predictor: openmic::Predictor compiled once, so that programs that only serve a
// model include <polytag/openmic/predictor.hpp> (standard library only) and link this.
#include "polytag/openmic/predictor_impl.hpp"
