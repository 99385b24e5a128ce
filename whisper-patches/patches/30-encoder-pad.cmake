# encoder-pad: the encoder's self-attention pads its keys from n_audio_ctx (1500) to a
# multiple of 16 and masks the padding out of the softmax, so softmax(K·Q)·V, whose inner
# dimension is the key count, runs in llamafile's tiled f16 kernel instead of ggml's
# one-dot-product-at-a-time fallback. README.md: why, and the measurements.
vsl_patch(encoder-pad src/whisper.cpp
[==[    struct ggml_tensor * inpL = cur;

    for (int il = 0; il < n_layer; ++il) {
        const auto & layer = model.layers_encoder[il];
]==]
[==[    struct ggml_tensor * inpL = cur;

    // VSL encoder-pad: the keys of every layer, padded to a multiple of 16, and the mask
    // (0 for a real key, -inf for padding; whisper_encode_internal fills it) that hides them.
    const int vsl_n_kv = GGML_PAD(n_ctx, 16);
    struct ggml_tensor * vsl_kq_mask = nullptr;
    if (vsl_n_kv > n_ctx) {
        vsl_kq_mask = ggml_new_tensor_2d(ctx0, GGML_TYPE_F16, vsl_n_kv, n_ctx);
        ggml_set_name(vsl_kq_mask, "vsl_enc_kq_mask");
        ggml_set_input(vsl_kq_mask);
    }

    for (int il = 0; il < n_layer; ++il) {
        const auto & layer = model.layers_encoder[il];
]==])
vsl_patch(encoder-pad src/whisper.cpp
[==[                struct ggml_tensor * K =
                    ggml_permute(ctx0,
                            ggml_cast(ctx0,
                                ggml_reshape_3d(ctx0, Kcur, n_state_head, n_head, n_ctx),
                                wctx.itype),
                            0, 2, 1, 3);

                // K * Q
                struct ggml_tensor * KQ = ggml_mul_mat(ctx0, K, Q);

                struct ggml_tensor * KQ_soft_max = ggml_soft_max_ext(ctx0, KQ, nullptr, KQscale, 0.0f);

                struct ggml_tensor * V =
                    ggml_cast(ctx0,
                            ggml_permute(ctx0,
                                ggml_reshape_3d(ctx0,
                                    Vcur,
                                    n_state_head, n_head, n_ctx),
                                1, 2, 0, 3),
                            wctx.itype);
]==]
[==[                // VSL encoder-pad: K and V with vsl_n_kv keys (zero rows past n_ctx); the
                // mask gives the padded keys no weight, so the result is the same.
                struct ggml_tensor * Kpad = ggml_reshape_3d(ctx0, Kcur, n_state_head, n_head, n_ctx);
                struct ggml_tensor * Vpad = ggml_reshape_3d(ctx0, Vcur, n_state_head, n_head, n_ctx);
                if (vsl_kq_mask != nullptr) {
                    Kpad = ggml_pad(ctx0, Kpad, 0, 0, vsl_n_kv - n_ctx, 0);
                    Vpad = ggml_pad(ctx0, Vpad, 0, 0, vsl_n_kv - n_ctx, 0);
                }

                struct ggml_tensor * K =
                    ggml_permute(ctx0,
                            ggml_cast(ctx0, Kpad, wctx.itype),
                            0, 2, 1, 3);

                // K * Q
                struct ggml_tensor * KQ = ggml_mul_mat(ctx0, K, Q);

                struct ggml_tensor * KQ_soft_max = ggml_soft_max_ext(ctx0, KQ, vsl_kq_mask, KQscale, 0.0f);

                struct ggml_tensor * V =
                    ggml_cast(ctx0,
                            ggml_permute(ctx0, Vpad, 1, 2, 0, 3),
                            wctx.itype);
]==])
vsl_patch(encoder-pad src/whisper.cpp
[==[        ggml_cgraph * gf = whisper_build_graph_encoder(wctx, wstate);

        if (!ggml_backend_sched_alloc_graph(sched, gf)) {
            // should never happen as we pre-allocate the memory
            return false;
        }
]==]
[==[        ggml_cgraph * gf = whisper_build_graph_encoder(wctx, wstate);

        if (!ggml_backend_sched_alloc_graph(sched, gf)) {
            // should never happen as we pre-allocate the memory
            return false;
        }

        // VSL encoder-pad: row i of the mask lets query i see the n_ctx real keys only.
        if (struct ggml_tensor * mask = ggml_graph_get_tensor(gf, "vsl_enc_kq_mask")) {
            const int64_t n_kv = mask->ne[0];
            const int64_t n_real = mask->ne[1];
            std::vector<ggml_fp16_t> rows(n_kv*n_real, ggml_fp32_to_fp16(0.0f));
            const ggml_fp16_t hidden = ggml_fp32_to_fp16(-INFINITY);
            for (int64_t i = 0; i < n_real; ++i) {
                std::fill(rows.begin() + i*n_kv + n_real, rows.begin() + (i + 1)*n_kv, hidden);
            }
            ggml_backend_tensor_set(mask, rows.data(), 0, ggml_nbytes(mask));
        }
]==])
