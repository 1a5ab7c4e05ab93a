#pragma once
// polytag::audio in one include: decoding (libsndfile), resampling to 16 kHz, the VGGish
// log-mel front end and patches, and the VGGish network with its post-processor.
#include "polytag/audio/audio_file.hpp"
#include "polytag/audio/front_end.hpp"
#include "polytag/audio/log_mel.hpp"
#include "polytag/audio/mel_filterbank.hpp"
#include "polytag/audio/patch_framer.hpp"
#include "polytag/audio/resampler.hpp"
#include "polytag/audio/vggish.hpp"
#include "polytag/audio/vggish_postprocessor.hpp"
#include "polytag/version.hpp"  // POLYTAG_VERSION_STRING with any umbrella
