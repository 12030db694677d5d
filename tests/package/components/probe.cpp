// Never built: the probe project is only configured and generated.
int main() { return 0; }
