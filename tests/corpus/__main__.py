from tests.corpus import main

main()
