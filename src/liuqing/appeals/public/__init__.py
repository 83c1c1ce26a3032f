"""The residents' pages of appeals (/p/): submit a request, the receipt, look up a request by its
tracking code, and the village notice boards with their printable PDF. No login; every page in
Chinese, Uyghur and Kazakh; nothing personal on any of them."""
