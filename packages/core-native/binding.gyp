{
  "targets": [
    {
      "target_name": "lab_native",
      "sources": ["native/addon.c"],
      "cflags": [
        "-O3",
        "-std=c11",
        "-Wall",
        "-Wextra",
        "-fno-strict-aliasing",
        "-fno-trapping-math"
      ],
      "cflags!": ["-O2"],
      "libraries": ["-ldl"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
