{
  "targets": [
    {
      "target_name": "opscockpit_chain",
      "sources": ["chain.c"],
      "cflags": ["-O2", "-Wall", "-Wno-deprecated-declarations"]
    }
  ]
}
