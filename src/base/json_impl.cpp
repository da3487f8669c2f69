// Boost.JSON in header-only mode: its implementation is compiled once, here. Every layer that speaks JSON includes
// <boost/json.hpp> and links esimo_base.
#include <boost/json/src.hpp>
