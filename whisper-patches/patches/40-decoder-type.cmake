# decoder-type: a model file may give its decoder (self- and cross-attention, MLP, token
# embedding) a weight type of its own: ftype % 1000 = 100 × the decoder's ftype + the
# encoder's. Our converter writes such files (`--quantize bf16-q8_0`: bf16 encoder, q8_0
# decoder). README.md: why, and the measurements.
vsl_patch(decoder-type src/whisper.cpp
[==[    ggml_type wtype = ggml_type::GGML_TYPE_F16; // weight type (FP32 / FP16 / QX)
]==]
[==[    ggml_type wtype = ggml_type::GGML_TYPE_F16; // weight type (FP32 / FP16 / QX)
    ggml_type vsl_decoder_wtype = ggml_type::GGML_TYPE_COUNT; // VSL decoder-type: COUNT = wtype
]==])
vsl_patch(decoder-type src/whisper.cpp
[==[        hparams.ftype %= GGML_QNT_VERSION_FACTOR;
]==]
[==[        hparams.ftype %= GGML_QNT_VERSION_FACTOR;

        // VSL decoder-type: the hundreds are the decoder's ftype (one digit: f16, q4_*, q5_*,
        // q8_0), checked here because ggml_ftype_to_ggml_type asserts on an unknown one.
        wctx.vsl_decoder_wtype = GGML_TYPE_COUNT;
        if (hparams.ftype >= 100) {
            const int32_t decoder_ftype = hparams.ftype / 100;
            hparams.ftype %= 100;
            const bool known = decoder_ftype == GGML_FTYPE_MOSTLY_F16 || decoder_ftype == GGML_FTYPE_MOSTLY_Q8_0 ||
                decoder_ftype == GGML_FTYPE_MOSTLY_Q4_0 || decoder_ftype == GGML_FTYPE_MOSTLY_Q4_1 ||
                decoder_ftype == GGML_FTYPE_MOSTLY_Q5_0 || decoder_ftype == GGML_FTYPE_MOSTLY_Q5_1;
            if (!known) {
                WHISPER_LOG_ERROR("%s: invalid model (bad decoder ftype value %d)\n", __func__, decoder_ftype);
                return false;
            }
            wctx.vsl_decoder_wtype = ggml_ftype_to_ggml_type((ggml_ftype) decoder_ftype);
            WHISPER_LOG_INFO("%s: decoder ftype = %d\n", __func__, decoder_ftype);
        }
]==])
vsl_patch(decoder-type src/whisper.cpp
[==[        // decoder
        model.d_pe = create_tensor(ASR_TENSOR_DEC_POS_EMBD, ASR_SYSTEM_DECODER, ggml_new_tensor_2d(ctx, GGML_TYPE_F32, n_text_state, n_text_ctx));
]==]
[==[        // decoder
        // VSL decoder-type: the decoder's 2-D weights (below) in the type the file gives it.
        const ggml_type wtype = wctx.vsl_decoder_wtype != GGML_TYPE_COUNT ? wctx.vsl_decoder_wtype : wctx.wtype;

        model.d_pe = create_tensor(ASR_TENSOR_DEC_POS_EMBD, ASR_SYSTEM_DECODER, ggml_new_tensor_2d(ctx, GGML_TYPE_F32, n_text_state, n_text_ctx));
]==])
