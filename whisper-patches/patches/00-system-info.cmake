# system-info: whisper_print_system_info() names the patches this build carries and their
# digest, so `vsl health` shows them and a test catches a build that missed a changed patch.
vsl_patch(system-info src/whisper.cpp
[==[    s += "WHISPER : ";
]==]
"    s += \"WHISPER : \";
    s += \"VSL_PATCHES = ${VSL_PATCH_NAMES} (${VSL_PATCH_DIGEST}) | \";
")
