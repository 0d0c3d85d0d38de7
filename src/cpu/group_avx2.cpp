// The group pipeline compiled for AVX2 (this file is built with -mavx2 and only
// called after a run-time check that the processor has it).
#define ATC_CPU_GROUP_ENTRY run_group_avx2
#include "group_pipeline.inl"
