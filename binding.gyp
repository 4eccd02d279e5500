{
  # node-gyp build of the same sources as CMakeLists.txt (the primary build): native/sources.txt. Needs the
  # dependencies from install/deps.sh; on Linux set npm_config_nodedir=/usr when Node's headers
  # cannot be downloaded.
  "variables": {
    "ort_dir": "<(module_root_dir)/node_modules/onnxruntime-node/bin/napi-v6/<(OS)/<(target_arch)",
    "ort_reldir": "onnxruntime-node/bin/napi-v6/<(OS)/<(target_arch)",
    "spm": "<(module_root_dir)/deps/sentencepiece"
  },
  "targets": [
    {
      "target_name": "sentvec",
      "sources": [
        "<!@(node -p \"require('fs').readFileSync('native/sources.txt', 'utf8').split('\\n').filter((l) => l && !l.startsWith('#')).join(' ')\")"
      ],
      "include_dirs": [
        "<!(node -p \"require('node-addon-api').include_dir\")",
        "deps/onnxruntime/include",
        "<(spm)/src/src",
        "<(spm)/src/src/builtin_pb",
        "<(spm)/src",
        "<(spm)/src/third_party/protobuf-lite",
        "deps/utf8proc",
        "deps/xxhash",
        "node_modules/simsimd/include"
      ],
      "defines": [
        "NAPI_VERSION=8", "NAPI_CPP_EXCEPTIONS", "NODE_ADDON_API_DISABLE_DEPRECATED", "NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS",
        "NODE_ADDON_API_CPP_EXCEPTIONS_ALL",
        "_USE_INTERNAL_STRING_VIEW", "HAVE_PTHREAD=1", "UTF8PROC_STATIC"
      ],
      "cflags_cc!": ["-fno-exceptions", "-fno-rtti", "-std=gnu++1y", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions", "-frtti", "-O3", "-fvisibility=hidden"],
      "cflags": ["-O3", "-fvisibility=hidden"],
      "conditions": [
        ["OS=='linux' and target_arch=='x64'", {
          "include_dirs+": ["native/compat"],
          "cflags": ["-include", "<(module_root_dir)/native/compat/glibc_compat.h"],
          "cflags_cc": ["-include", "<(module_root_dir)/native/compat/glibc_compat.h"]
        }],
        ["OS=='linux'", {
          "libraries": [
            "<(spm)/lib/libsentencepiece.a",
            "<(ort_dir)/libonnxruntime.so.1",
            "-Wl,--exclude-libs,ALL",
            "-Wl,-rpath,'$$ORIGIN'",
            "-Wl,-rpath,'$$ORIGIN/../../node_modules/<(ort_reldir)'",
            "-Wl,-rpath,'$$ORIGIN/../../../<(ort_reldir)'"
          ]
        }],
        ["OS=='mac'", {
          "xcode_settings": {
            "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
            "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
            "OTHER_LDFLAGS": [
              "-Wl,-rpath,@loader_path",
              "-Wl,-rpath,@loader_path/../../node_modules/<(ort_reldir)",
              "-Wl,-rpath,@loader_path/../../../<(ort_reldir)"
            ]
          },
          "libraries": ["<(spm)/lib/libsentencepiece.a", "<(ort_dir)/libonnxruntime.1.30.0.dylib"]
        }]
      ]
    }
  ]
}
