# dtw-threads: the word-timestamp (DTW) graph runs with the job's thread count instead of
# ggml's default 4, and its median filter splits its rows over those threads instead of
# running on one while the others wait. README.md: why, and the measurements.
vsl_patch(dtw-threads src/whisper.cpp
[==[static void median_filter(struct ggml_tensor * dst , const struct ggml_tensor * a, int ith, int /*nth*/, void * userdata) {
    if (ith != 0) {
        return;
    }
]==]
[==[static void median_filter(struct ggml_tensor * dst , const struct ggml_tensor * a, int ith, int nth, void * userdata) {
]==])
vsl_patch(dtw-threads src/whisper.cpp
[==[    filter.reserve(filter_width);
    for (int64_t i = 0; i < a->ne[0]; ++i) {
        for (int64_t j = 0; j < a->ne[1]; ++j) {
]==]
[==[    filter.reserve(filter_width);
    for (int64_t i = 0; i < a->ne[0]; ++i) {
        for (int64_t j = 0; j < a->ne[1]; ++j) {
            // VSL dtw-threads: each (i, j) row is filtered on its own; thread ith takes every nth.
            if ((i * a->ne[1] + j) % nth != ith) {
                continue;
            }
]==])
vsl_patch(dtw-threads src/whisper.cpp
[==[    w = ggml_map_custom1(gctx, w, median_filter, 1, &mf_user_data);
]==]
[==[    w = ggml_map_custom1(gctx, w, median_filter, GGML_N_TASKS_MAX, &mf_user_data);
]==])
vsl_patch(dtw-threads src/whisper.cpp
[==[    ggml_backend_ptr backend { ggml_backend_init_by_type(GGML_BACKEND_DEVICE_TYPE_CPU, nullptr) };
    ggml_backend_graph_compute(backend.get(), gf);

    ggml_tensor * alignment = dtw_and_backtrace(gctx, w);
]==]
[==[    // VSL dtw-threads: the job's n_threads, not a new CPU backend's default 4.
    ggml_graph_compute_helper(gf, n_threads, nullptr, nullptr);

    ggml_tensor * alignment = dtw_and_backtrace(gctx, w);
]==])
