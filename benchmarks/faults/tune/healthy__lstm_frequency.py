import importlib.util
import os

import torch
import torch.nn as nn

_p = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "heldout3", "_data.py")  # moved from heldout3/
_s = importlib.util.spec_from_file_location("_heldout3_data", _p)
D = importlib.util.module_from_spec(_s)
_s.loader.exec_module(D)
torch.set_num_threads(1)

EXPECT = None
WHAT = 'healthy: LSTM classifying sinusoid frequency (3 classes), Adam 3e-3, CrossEntropyLoss, 20 epochs'

class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(1, 32, batch_first=True)
        self.head = nn.Linear(32, 3)

    def forward(self, x):
        out, _ = self.lstm(x)
        return self.head(out[:, -1])


def build(twin=False):
    torch.manual_seed(0)
    data = D.sequences(n=1200, length=24, kind="freq")
    model = Net()
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    return dict(model=model, opt=opt, crit=nn.CrossEntropyLoss(), data=data, epochs=20, bs=32)


def main(dir: str) -> str:
    return D.fit("program", dir, **build())


if __name__ == "__main__":
    import tempfile
    print(main(tempfile.mkdtemp()))
