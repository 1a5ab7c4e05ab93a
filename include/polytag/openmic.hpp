#pragma once
// The OpenMIC-2018 application (polytag::openmic) in one include: the dataset, evaluation, the
// relevance model, its file, its training and cross-validation. A program that only serves a
// trained model includes the much cheaper <polytag/openmic/predictor.hpp> instead.
#include "polytag/openmic/batch.hpp"
#include "polytag/openmic/config.hpp"
#include "polytag/openmic/cross_validation.hpp"
#include "polytag/openmic/cv_report.hpp"
#include "polytag/openmic/dataset.hpp"
#include "polytag/openmic/evaluation.hpp"
#include "polytag/openmic/group_split.hpp"
#include "polytag/openmic/normalizer.hpp"
#include "polytag/openmic/relevance_model.hpp"
#include "polytag/openmic/report.hpp"
#include "polytag/openmic/synthetic.hpp"
#include "polytag/openmic/trainer.hpp"
#include "polytag/version.hpp"  // POLYTAG_VERSION_STRING with any umbrella
