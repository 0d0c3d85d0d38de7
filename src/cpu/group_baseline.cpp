// The group pipeline for the baseline instruction set of the target.
#define ATC_CPU_GROUP_ENTRY run_group_baseline
#include "group_pipeline.inl"
