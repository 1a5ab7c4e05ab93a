#pragma once
// The OpenMIC-2018 evaluation report in one include: the per-instrument and macro metrics over
// arrays (instrument_metrics.hpp), for rows of a Dataset (dataset_evaluation.hpp), and as JSON
// (evaluation_json.hpp).
#include "polytag/openmic/dataset_evaluation.hpp"
#include "polytag/openmic/evaluation_json.hpp"
#include "polytag/openmic/instrument_metrics.hpp"
