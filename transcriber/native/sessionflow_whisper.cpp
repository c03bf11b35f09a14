// Sessionflow's JNI binding to whisper.cpp (io.sessionflow.transcriber.whisper.WhisperNative).
//
// Small on purpose: handles are plain pointers owned by Java objects that free them exactly once
// (no global maps), parameters are set by field name on whisper_full_default_params (no struct
// layout mirrored in Java), text leaves as raw UTF-8 bytes (a character split across tokens or
// segments is reassembled in Java), and every failure becomes a WhisperNativeException whose
// reason is whisper.cpp's own error line. Nothing here logs: whisper.cpp's and ggml's log lines
// are captured per thread and only warnings and errors (never transcript text) reach the reason.
#include <jni.h>

#include <atomic>
#include <cmath>
#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <vector>

#include "ggml-backend.h"
#include "whisper.h"

namespace {

constexpr const char * kException = "io/sessionflow/transcriber/whisper/WhisperNativeException";
constexpr size_t kMaxReason = 1000;

// whisper.cpp's and ggml's warnings and errors on this thread since the last call began.
thread_local std::string t_log;

void capture_log(enum ggml_log_level level, const char * text, void *) {
    static thread_local bool keeping = false;
    if (level != GGML_LOG_LEVEL_CONT) {
        keeping = level == GGML_LOG_LEVEL_WARN || level == GGML_LOG_LEVEL_ERROR;
    }
    if (keeping && text != nullptr && t_log.size() < kMaxReason) {
        t_log.append(text, strnlen(text, kMaxReason - t_log.size()));
    }
}

void begin_call() {
    t_log.clear();
}

// Throws (as a pending Java exception) with what whisper.cpp said, if it said anything.
void fail(JNIEnv * env, const std::string & what) {
    std::string reason = what;
    std::string said = t_log;
    while (!said.empty() && (said.back() == '\n' || said.back() == ' ')) {
        said.pop_back();
    }
    for (char & c : said) {
        if (c == '\n') {
            c = ';';
        }
    }
    if (!said.empty()) {
        reason += " (whisper.cpp: " + said + ")";
    }
    // Printable ASCII only: a corrupt file's bytes may be in what whisper.cpp said, and ThrowNew
    // wants (modified) UTF-8.
    for (char & c : reason) {
        if (c < 0x20 || c > 0x7e) {
            c = '?';
        }
    }
    if (env->ExceptionCheck()) {
        return;  // a JNI call already failed (out of memory): that exception stands
    }
    jclass type = env->FindClass(kException);
    if (type != nullptr) {
        env->ThrowNew(type, reason.c_str());
    }
}

std::string utf(JNIEnv * env, jstring text) {
    if (text == nullptr) {
        return std::string();
    }
    const char * chars = env->GetStringUTFChars(text, nullptr);
    if (chars == nullptr) {
        return std::string();
    }
    std::string copy(chars);
    env->ReleaseStringUTFChars(text, chars);
    return copy;
}

jbyteArray bytes(JNIEnv * env, const char * text) {
    const jsize n = text == nullptr ? 0 : static_cast<jsize>(strlen(text));
    jbyteArray array = env->NewByteArray(n);
    if (array != nullptr && n > 0) {
        env->SetByteArrayRegion(array, 0, n, reinterpret_cast<const jbyte *>(text));
    }
    return array;
}

// One worker slot: a whisper_state on the shared context, and what its running call may be told.
struct Slot {
    whisper_state * state = nullptr;
    std::atomic<bool> abort{false};
    // Decoding control for benchmarks and tests (0 / empty: the model decides).
    int fixed_tokens = 0;
    std::vector<whisper_token> script;
};

bool abort_requested(void * data) {
    return static_cast<Slot *>(data)->abort.load(std::memory_order_relaxed);
}

bool encoder_may_begin(whisper_context *, whisper_state *, void * data) {
    return !abort_requested(data);
}

// Fixed token counts (benchmarks: the same decoding work per window whatever random weights
// say) and scripted token sequences (tests: chosen bytes, split where a test needs them).
void control_logits(whisper_context * ctx, whisper_state *, const whisper_token_data *, int n_tokens,
                    float * logits, void * data) {
    const Slot * slot = static_cast<const Slot *>(data);
    const int n_vocab = whisper_n_vocab(ctx);
    const whisper_token eot = whisper_token_eot(ctx);
    whisper_token only = -1;
    if (!slot->script.empty()) {
        only = n_tokens < static_cast<int>(slot->script.size()) ? slot->script[n_tokens] : eot;
    } else if (slot->fixed_tokens > 0) {
        if (n_tokens >= slot->fixed_tokens) {
            only = eot;
        } else {
            // Text tokens only: no end and no timestamps before the count is reached.
            for (int i = eot; i < n_vocab; ++i) {
                logits[i] = -INFINITY;
            }
            return;
        }
    }
    if (only >= 0 && only < n_vocab) {
        for (int i = 0; i < n_vocab; ++i) {
            if (i != only) {
                logits[i] = -INFINITY;
            }
        }
        logits[only] = 0.0f;
    }
}

// The model file, read so that a short read (a truncated file) is noticed.
struct ModelFile {
    FILE * f = nullptr;
    bool short_read = false;
    int past_end = 0;
    int end_checks = 0;
};

size_t read_model(void * context, void * output, size_t size) {
    ModelFile * file = static_cast<ModelFile *>(context);
    const size_t got = fread(output, 1, size, file->f);
    if (got != size) {
        // whisper.cpp reads the next tensor's three 4-byte header fields past the end before it
        // asks whether the file has ended: only those are normal short reads.
        if (size != sizeof(int32_t) || got > 0 || ++file->past_end > 3) {
            file->short_read = true;
        }
        memset(static_cast<char *>(output) + got, 0, size - got);
    }
    return size;
}

bool model_at_end(void * context) {
    // whisper.cpp asks once per tensor and once at the end.
    static_cast<ModelFile *>(context)->end_checks++;
    FILE * f = static_cast<ModelFile *>(context)->f;
    const int c = fgetc(f);
    if (c == EOF) {
        return true;
    }
    ungetc(c, f);
    return false;
}

void close_model(void * context) {
    ModelFile * file = static_cast<ModelFile *>(context);
    if (file->f != nullptr) {
        fclose(file->f);
        file->f = nullptr;
    }
}

}  // namespace

extern "C" {

JNIEXPORT void JNICALL Java_io_sessionflow_transcriber_whisper_WhisperNative_loadBackends(JNIEnv * env, jclass,
                                                                                        jstring dir) {
    whisper_log_set(capture_log, nullptr);
    begin_call();
    const std::string path = utf(env, dir);
    ggml_backend_load_all_from_path(path.c_str());
    if (ggml_backend_dev_count() == 0) {
        fail(env, "no ggml backend could be loaded from " + path);
    }
}

JNIEXPORT jstring JNICALL Java_io_sessionflow_transcriber_whisper_WhisperNative_version(JNIEnv * env, jclass) {
    return env->NewStringUTF(whisper_version());
}

// "CUDA0 (NVIDIA H200), CPU (haswell: AVX2 ...)": the devices the loaded backends offer, and
// whisper.cpp's system line.
JNIEXPORT jstring JNICALL Java_io_sessionflow_transcriber_whisper_WhisperNative_systemInfo(JNIEnv * env, jclass) {
    std::string info;
    for (size_t i = 0; i < ggml_backend_dev_count(); ++i) {
        ggml_backend_dev_t dev = ggml_backend_dev_get(i);
        if (!info.empty()) {
            info += ", ";
        }
        info += std::string(ggml_backend_dev_name(dev)) + " (" + ggml_backend_dev_description(dev) + ")";
    }
    info += " | ";
    info += whisper_print_system_info();
    return env->NewStringUTF(info.c_str());
}

JNIEXPORT jlong JNICALL Java_io_sessionflow_transcriber_whisper_WhisperNative_initContext(
        JNIEnv * env, jclass, jstring model, jboolean use_gpu, jint gpu_device, jboolean flash_attn) {
    begin_call();
    const std::string path = utf(env, model);
    whisper_context_params params = whisper_context_default_params();
    params.use_gpu = use_gpu == JNI_TRUE;
    params.gpu_device = gpu_device;
    params.flash_attn = flash_attn == JNI_TRUE;
    ModelFile file;
    file.f = fopen(path.c_str(), "rb");
    if (file.f == nullptr) {
        fail(env, std::string("cannot open the model file: ") + strerror(errno));
        return 0;
    }
    whisper_model_loader loader = {};
    loader.context = &file;
    loader.read = read_model;
    loader.eof = model_at_end;
    loader.close = close_model;
    whisper_context * ctx = nullptr;
    try {
        ctx = whisper_init_with_params_no_state(&loader, params);
    } catch (const std::exception & e) {
        // A damaged file can ask for absurd sizes (std::bad_alloc) or unknown ids (std::out_of_range).
        close_model(&file);
        fail(env, std::string("whisper.cpp could not load the model: ") + e.what());
        return 0;
    }
    close_model(&file);
    if (ctx != nullptr && (file.short_read || file.end_checks < 2)) {
        // whisper.cpp does not notice a file that ends inside a tensor's data, and takes one that
        // ends where the tensors begin for an empty model "for testing".
        whisper_free(ctx);
        fail(env, file.short_read ? "the model file ends early (truncated?)"
                                  : "the model file holds no tensors (truncated?)");
        return 0;
    }
    if (ctx == nullptr) {
        fail(env, file.short_read ? "the model file ends early (truncated?)" : "whisper.cpp could not load the model");
        return 0;
    }
    return reinterpret_cast<jlong>(ctx);
}

JNIEXPORT void JNICALL Java_io_sessionflow_transcriber_whisper_WhisperNative_freeContext(JNIEnv *, jclass,
                                                                                       jlong ctx) {
    whisper_free(reinterpret_cast<whisper_context *>(ctx));
}

JNIEXPORT jboolean JNICALL Java_io_sessionflow_transcriber_whisper_WhisperNative_multilingual(JNIEnv *, jclass,
                                                                                            jlong ctx) {
    return whisper_is_multilingual(reinterpret_cast<whisper_context *>(ctx)) ? JNI_TRUE : JNI_FALSE;
}

JNIEXPORT jstring JNICALL Java_io_sessionflow_transcriber_whisper_WhisperNative_modelType(JNIEnv * env, jclass,
                                                                                        jlong ctx) {
    return env->NewStringUTF(whisper_model_type_readable(reinterpret_cast<whisper_context *>(ctx)));
}

JNIEXPORT jlong JNICALL Java_io_sessionflow_transcriber_whisper_WhisperNative_initState(JNIEnv * env, jclass,
                                                                                      jlong ctx) {
    begin_call();
    Slot * slot = new (std::nothrow) Slot();
    if (slot == nullptr) {
        fail(env, "out of memory for a whisper state");
        return 0;
    }
    try {
        slot->state = whisper_init_state(reinterpret_cast<whisper_context *>(ctx));
    } catch (const std::exception & e) {
        delete slot;
        fail(env, std::string("whisper.cpp could not create a state: ") + e.what());
        return 0;
    }
    if (slot->state == nullptr) {
        delete slot;
        fail(env, "whisper.cpp could not create a state (memory for its buffers?)");
        return 0;
    }
    return reinterpret_cast<jlong>(slot);
}

JNIEXPORT void JNICALL Java_io_sessionflow_transcriber_whisper_WhisperNative_freeState(JNIEnv *, jclass,
                                                                                     jlong handle) {
    Slot * slot = reinterpret_cast<Slot *>(handle);
    if (slot->state != nullptr) {
        whisper_free_state(slot->state);
    }
    delete slot;
}

// Asks the slot's running call (if any) to stop at its next graph step; safe from any thread
// while the slot exists.
JNIEXPORT void JNICALL Java_io_sessionflow_transcriber_whisper_WhisperNative_abort(JNIEnv *, jclass,
                                                                                 jlong handle) {
    reinterpret_cast<Slot *>(handle)->abort.store(true, std::memory_order_relaxed);
}

// whisper_full_with_state on one window; returns the number of segments. fixedTokens / script
// control decoding for benchmarks and tests (0 / null in production).
JNIEXPORT jint JNICALL Java_io_sessionflow_transcriber_whisper_WhisperNative_full(
        JNIEnv * env, jclass, jlong ctx_handle, jlong handle, jfloatArray samples, jint count, jint threads,
        jstring language, jint beam_size, jboolean fallback, jint fixed_tokens, jintArray script) {
    begin_call();
    whisper_context * ctx = reinterpret_cast<whisper_context *>(ctx_handle);
    Slot * slot = reinterpret_cast<Slot *>(handle);
    if (count < 1 || count > env->GetArrayLength(samples)) {
        // Zero samples would make whisper.cpp decode the previous call's spectrogram again.
        fail(env, "sample count out of range");
        return -1;
    }
    std::vector<float> pcm;
    try {
        if (slot->state == nullptr) {
            // Lost to an earlier out-of-memory failure (whisper.cpp freed it): try a new one.
            slot->state = whisper_init_state(ctx);
            if (slot->state == nullptr) {
                fail(env, "the whisper state was lost after an earlier failure and cannot be recreated");
                return -1;
            }
        }
        // A copy, so the Java array is not pinned for the seconds inference takes.
        pcm.resize(static_cast<size_t>(count));
    } catch (const std::exception & e) {
        fail(env, std::string("whisper.cpp could not prepare the call: ") + e.what());
        return -1;
    }
    env->GetFloatArrayRegion(samples, 0, count, pcm.data());
    const std::string lang = utf(env, language);
    if (env->ExceptionCheck()) {
        return -1;
    }
    slot->fixed_tokens = fixed_tokens;
    slot->script.clear();
    if (script != nullptr) {
        const jsize n = env->GetArrayLength(script);
        slot->script.resize(static_cast<size_t>(n));
        env->GetIntArrayRegion(script, 0, n, reinterpret_cast<jint *>(slot->script.data()));
    }

    whisper_full_params params = whisper_full_default_params(
            beam_size > 1 ? WHISPER_SAMPLING_BEAM_SEARCH : WHISPER_SAMPLING_GREEDY);
    params.n_threads = threads;
    params.language = lang.empty() ? "auto" : lang.c_str();
    params.detect_language = false;
    params.beam_search.beam_size = beam_size;
    // Against hallucination on silence: quiet windows count as no speech, no context carries
    // from one window into the next, non-speech tokens are suppressed.
    params.no_speech_thold = 0.6f;
    params.no_context = true;
    params.suppress_nst = true;
    params.suppress_blank = true;
    params.print_progress = false;
    params.print_realtime = false;
    params.print_timestamps = false;
    params.print_special = false;
    // The fallback the transcriber has always used (whisper-jni's defaults): on a degenerate
    // window retry at temperature 0.4, 0.8 with one decoder each, not whisper.cpp's five.
    params.temperature_inc = fallback == JNI_TRUE ? 0.4f : 0.0f;
    params.greedy.best_of = 1;
    params.abort_callback = abort_requested;
    params.abort_callback_user_data = slot;
    params.encoder_begin_callback = encoder_may_begin;
    params.encoder_begin_callback_user_data = slot;
    if (fixed_tokens > 0 || !slot->script.empty()) {
        params.logits_filter_callback = control_logits;
        params.logits_filter_callback_user_data = slot;
    }
    int result;
    try {
        result = whisper_full_with_state(ctx, slot->state, params, pcm.data(), count);
    } catch (const std::exception & e) {
        fail(env, std::string("whisper.cpp failed on a window: ") + e.what());
        return -1;
    }
    if (result == -7) {
        // whisper.cpp frees the state itself on this path (its KV cache could not be allocated):
        // forget it first, whatever else happened, so it is never freed twice.
        slot->state = nullptr;
    }
    if (slot->abort.load(std::memory_order_relaxed)) {
        fail(env, "aborted: the engine is closing");
        return -1;
    }
    if (result == -7) {
        fail(env, "whisper.cpp ran out of memory for its decoder cache (code -7); the next call makes a new state");
        return -1;
    }
    if (result != 0) {
        fail(env, "whisper.cpp failed on a window (code " + std::to_string(result) + ")");
        return -1;
    }
    return whisper_full_n_segments_from_state(slot->state);
}

JNIEXPORT jlong JNICALL Java_io_sessionflow_transcriber_whisper_WhisperNative_segmentStart(JNIEnv *, jclass,
                                                                                         jlong handle, jint i) {
    return whisper_full_get_segment_t0_from_state(reinterpret_cast<Slot *>(handle)->state, i);
}

JNIEXPORT jlong JNICALL Java_io_sessionflow_transcriber_whisper_WhisperNative_segmentEnd(JNIEnv *, jclass,
                                                                                       jlong handle, jint i) {
    return whisper_full_get_segment_t1_from_state(reinterpret_cast<Slot *>(handle)->state, i);
}

JNIEXPORT jfloat JNICALL Java_io_sessionflow_transcriber_whisper_WhisperNative_segmentNoSpeech(JNIEnv *, jclass,
                                                                                             jlong handle, jint i) {
    return whisper_full_get_segment_no_speech_prob_from_state(reinterpret_cast<Slot *>(handle)->state, i);
}

JNIEXPORT jbyteArray JNICALL Java_io_sessionflow_transcriber_whisper_WhisperNative_segmentText(JNIEnv * env, jclass,
                                                                                             jlong handle, jint i) {
    return bytes(env, whisper_full_get_segment_text_from_state(reinterpret_cast<Slot *>(handle)->state, i));
}

JNIEXPORT jint JNICALL Java_io_sessionflow_transcriber_whisper_WhisperNative_segmentTokens(JNIEnv *, jclass,
                                                                                         jlong handle, jint i) {
    return whisper_full_n_tokens_from_state(reinterpret_cast<Slot *>(handle)->state, i);
}

// The language of the last call: the one given, or the one whisper.cpp detected.
JNIEXPORT jstring JNICALL Java_io_sessionflow_transcriber_whisper_WhisperNative_language(JNIEnv * env, jclass,
                                                                                       jlong handle) {
    const int id = whisper_full_lang_id_from_state(reinterpret_cast<Slot *>(handle)->state);
    const char * code = id < 0 ? nullptr : whisper_lang_str(id);
    return code == nullptr ? nullptr : env->NewStringUTF(code);
}

JNIEXPORT jint JNICALL Java_io_sessionflow_transcriber_whisper_WhisperNative_tokenId(JNIEnv * env, jclass,
                                                                                   jlong ctx, jstring name) {
    const std::string which = utf(env, name);
    whisper_context * c = reinterpret_cast<whisper_context *>(ctx);
    if (which == "eot") {
        return whisper_token_eot(c);
    }
    if (which == "beg") {
        return whisper_token_beg(c);
    }
    return -1;
}

}  // extern "C"
