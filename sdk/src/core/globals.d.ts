// Module file names by content type, written in by the build.
declare const __WAYPOST_MODULES__: Record<string, string>;
