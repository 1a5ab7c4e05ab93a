# save_npz (used to write the release fixtures) calls zlib directly; until polytag::polytag
# links ZLIB::ZLIB itself, link it here.
find_package(ZLIB REQUIRED)
if(TARGET polytag_test_dataset)
  target_link_libraries(polytag_test_dataset PRIVATE ZLIB::ZLIB)
endif()
