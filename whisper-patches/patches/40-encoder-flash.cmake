# encoder-flash: the encoder's self-attention through ggml_flash_attn_ext whatever the
# context's flash_attn says, so the decoder keeps the plain cross-attention that DTW word
# timestamps read. K and V are the layer's own 1500 keys in f16 (no padding, no mask).
# README.md: why, and the measurements.
vsl_patch(encoder-flash src/whisper.cpp
[==[            if (wctx.params.flash_attn) {
                ggml_build_forward_expand(gf, ggml_cpy(ctx0, Kcur, ggml_view_1d(ctx0, kv_pad.k, n_ctx*n_state, 0)));
]==]
[==[            if (!wctx.params.flash_attn) {
                // VSL encoder-flash: one fused op per layer, K and V cast to f16 in the
                // [head dim, keys, heads] layout the kernel reads row by row.
                struct ggml_tensor * K =
                    ggml_permute(ctx0,
                            ggml_cast(ctx0,
                                ggml_reshape_3d(ctx0, Kcur, n_state_head, n_head, n_ctx),
                                GGML_TYPE_F16),
                            0, 2, 1, 3);
                struct ggml_tensor * V =
                    ggml_permute(ctx0,
                            ggml_cast(ctx0,
                                ggml_reshape_3d(ctx0, Vcur, n_state_head, n_head, n_ctx),
                                GGML_TYPE_F16),
                            0, 2, 1, 3);

                cur = ggml_flash_attn_ext(ctx0, Q, K, V, nullptr, KQscale, 0.0f, 0.0f);

                cur = ggml_reshape_2d(ctx0, cur, n_state, n_ctx);
            } else if (wctx.params.flash_attn) {
                ggml_build_forward_expand(gf, ggml_cpy(ctx0, Kcur, ggml_view_1d(ctx0, kv_pad.k, n_ctx*n_state, 0)));
]==])
