{
  "targets": [
    {
      "target_name": "opscockpit_native",
      "sources": ["addon.c", "chain.c", "outline.c", "scan.c"],
      "cflags": ["-O2", "-Wall", "-Wno-deprecated-declarations"],
      "ldflags": ["-Wl,-z,now"]
    }
  ]
}
